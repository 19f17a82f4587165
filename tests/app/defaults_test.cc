// docs/defaults.toml, the one commented list of every setting, against the code: each value
// equals the default of its struct (Config, KafkaConfig, GlobalSettings, SourceSettings), and
// every key the two loaders accept is listed, so a new setting cannot go undocumented.
#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <string>

#include "app/config.h"
#include "crawler/sources.h"

namespace nianbao::app {
namespace {

const std::string kPath = NIANBAO_FIXTURES "/../../docs/defaults.toml";

std::string ReadDefaults() {
  std::ifstream in(kPath);
  EXPECT_TRUE(in) << "cannot read " << kPath;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The defaults file split into the daemon's config and a sources file (its [global] and
// [defaults], plus the one [[source]] a sources file needs), each as TOML text.
struct Split {
  std::string config;
  std::string sources;
};

Split SplitDefaults(const std::string& text) {
  toml::table root = toml::parse(text, kPath);
  toml::table sources;
  for (const char* table : {"global", "defaults"}) {
    if (const toml::node* node = root.get(table)) sources.insert(table, *node);
    root.erase(table);
  }
  toml::table source{{"name", "x"}, {"entry", toml::array{"https://www.example.gov.cn/"}}};
  sources.insert("source", toml::array{source});
  std::ostringstream config_text;
  std::ostringstream sources_text;
  config_text << root;
  sources_text << sources;
  return {config_text.str(), sources_text.str()};
}

TEST(DefaultsFileTest, EveryValueIsTheCodesDefault) {
  const Split split = SplitDefaults(ReadDefaults());

  auto config = ParseConfig(split.config, kPath);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(DifferingSettings(Config{}, config.value()), std::vector<std::string>{});
  // The config's defaults of the producer are the sink's.
  EXPECT_EQ(KafkaConfig{}.compression, sinks::KafkaSinkOptions{}.compression);
  EXPECT_EQ(KafkaConfig{}.transactional_id, sinks::KafkaSinkOptions{}.transactional_id);

  auto sources = crawler::ParseSources(split.sources, kPath);
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  EXPECT_TRUE(sources.value().global == crawler::GlobalSettings{});
  EXPECT_TRUE(sources.value().defaults == crawler::SourceSettings{});
}

TEST(DefaultsFileTest, EveryKeyTheLoadersAcceptIsListed) {
  const toml::table root = toml::parse(ReadDefaults(), kPath);
  for (const std::string& table : ConfigTables()) {
    EXPECT_TRUE(root.at_path(table).is_table()) << "[" << table << "] is missing";
  }
  for (const std::string& key : ConfigKeys()) {
    // "key" or "[table] key"
    std::string path = key;
    if (key.front() == '[') {
      const size_t close = key.find("] ");
      path = key.substr(1, close - 1) + "." + key.substr(close + 2);
    }
    EXPECT_TRUE(root.at_path(path)) << key << " is missing";
  }
  for (std::string_view key : crawler::GlobalKeys()) {
    EXPECT_TRUE(root.at_path("global." + std::string(key))) << "[global] " << key;
  }
  for (std::string_view key : crawler::SettingKeys()) {
    EXPECT_TRUE(root.at_path("defaults." + std::string(key))) << "[defaults] " << key;
  }
}

// The check above would pass vacuously if the comparison saw nothing: a changed value in the
// file must show up, named.
TEST(DefaultsFileTest, AChangedValueIsNoticed) {
  std::string text = ReadDefaults();
  const size_t at = text.find("workers = 2");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 11, "workers = 3");
  const size_t delay = text.find("max_crawl_delay = \"60s\"");
  ASSERT_NE(delay, std::string::npos);
  text.replace(delay, 23, "max_crawl_delay = \"61s\"");
  const Split split = SplitDefaults(text);
  auto config = ParseConfig(split.config, kPath);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(DifferingSettings(Config{}, config.value()),
            std::vector<std::string>{"[ingest] workers"});
  auto sources = crawler::ParseSources(split.sources, kPath);
  ASSERT_TRUE(sources.ok()) << sources.status().ToString();
  EXPECT_FALSE(sources.value().defaults == crawler::SourceSettings{});
}

}  // namespace
}  // namespace nianbao::app
