// app/config: the daemon's config file. Errors name the file and the line; the file is read
// with a size cap; [metrics] allow_non_loopback; secrets from systemd credentials; the keys a
// reload cannot apply; the Kafka producer's settings and their one set of defaults.
#include "app/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/scratch_dir.h"

namespace nianbao::app {
namespace {

using namespace std::chrono_literals;

constexpr char kPath[] = "nianbao.toml";

Result<Config> Parse(const std::string& text) { return ParseConfig(text, kPath); }

void ExpectError(const std::string& text, const std::string& want) {
  auto c = Parse(text);
  ASSERT_FALSE(c.ok()) << "accepted:\n" << text;
  EXPECT_NE(c.status().message().find(want), std::string::npos)
      << "message: " << c.status().message() << "\nwant: " << want;
}

// ---- [metrics]

TEST(ConfigMetricsTest, NonLoopbackListenIsRefusedWithoutAllowNonLoopback) {
  ExpectError("[metrics]\nlisten = \"0.0.0.0:9464\"\n",
              "nianbao.toml:2: [metrics] listen: \"0.0.0.0:9464\" is not a loopback address");
  ExpectError("[metrics]\nallow_non_loopback = false\nlisten = \"[::]:9464\"\n",
              "nianbao.toml:3: [metrics] listen:");
  ExpectError("[metrics]\nlisten = \"192.0.2.1:9464\"\n", "allow_non_loopback = true");
}

TEST(ConfigMetricsTest, NonLoopbackListenIsAcceptedWithAllowNonLoopback) {
  auto c = Parse("[metrics]\nlisten = \"0.0.0.0:9464\"\nallow_non_loopback = true\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().metrics_listen, "0.0.0.0:9464");
  EXPECT_TRUE(c.value().metrics_allow_non_loopback);
}

TEST(ConfigMetricsTest, LoopbackAndOffNeedNoSetting) {
  for (const char* listen : {"127.0.0.1:9464", "127.0.0.2:0", "[::1]:9464", ""}) {
    auto c = Parse(std::string("[metrics]\nlisten = \"") + listen + "\"\n");
    EXPECT_TRUE(c.ok()) << listen << ": " << c.status().ToString();
  }
  EXPECT_FALSE(Config{}.metrics_allow_non_loopback);
}

TEST(ConfigMetricsTest, MalformedListenNamesFileAndLine) {
  ExpectError("\n[metrics]\nlisten = \"localhost:9464\"\n",
              "nianbao.toml:3: [metrics] listen: \"localhost\" is not a numeric");
  ExpectError("[metrics]\nlisten = \"127.0.0.1\"\n",
              "nianbao.toml:2: [metrics] listen: expected address:port");
  ExpectError("[metrics]\nlisten = \"127.0.0.1:70000\"\n", "nianbao.toml:2: [metrics] listen:");
}

TEST(ConfigMetricsTest, AuthAndTlsComeInPairsAndTheHashIsChecked) {
  // The error names the key that is there, on its line.
  ExpectError("[metrics]\nauth_user = \"ops\"\n",
              "nianbao.toml:2: [metrics] auth_user: auth_user and auth_password_hash go together");
  ExpectError("[metrics]\nauth_user = \"ops\"\nauth_password_hash = \"sha256$a$00\"\n",
              "nianbao.toml:3: [metrics] auth_password_hash: expected \"sha256$SALT$HEX\"");
  ExpectError("[metrics]\ntls_key = \"key.pem\"\n",
              "nianbao.toml:2: [metrics] tls_key: tls_cert and tls_key go together");
  auto c = Parse(
      "[metrics]\nauth_user = \"ops\"\nauth_password_hash = "
      "\"sha256$a$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"\n"
      "tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n[status]\nmax_reports = 20\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().metrics_auth_user, "ops");
  EXPECT_EQ(c.value().metrics_tls_key, "k.pem");
  EXPECT_EQ(c.value().status_max_reports, 20);
  EXPECT_TRUE(c.value().status_enabled);
  ExpectError("[status]\nmax_reports = 0\n", "nianbao.toml:2: [status] max_reports");
}

// ---- [kafka.properties]

TEST(ConfigKafkaTest, BadPropertyNamesFileLineAndProperty) {
  ExpectError(
      "[kafka]\nbrokers = \"b:9092\"\n\n[kafka.properties]\n\"socket.timeout.ms\" = \"30000\"\n"
      "\"no.such.property\" = \"1\"\n",
      "nianbao.toml:6: [kafka.properties] no.such.property: kafka property 'no.such.property'");
  ExpectError("[kafka.properties]\n\"socket.timeout.ms\" = \"soon\"\n",
              "nianbao.toml:2: [kafka.properties] socket.timeout.ms:");
  ExpectError("[kafka.properties]\n\"socket.timeout.ms\" = 30000\n",
              "nianbao.toml:2: [kafka.properties] socket.timeout.ms: librdkafka properties are "
              "strings");
}

TEST(ConfigKafkaTest, ProducerSettingsAreReadAndPassedToTheSink) {
  auto c = Parse(
      "[kafka]\ncompression = \"lz4\"\nqueue_batches = 8\nbatches_per_transaction = 2\n"
      "transaction_timeout = \"2m\"\ncall_timeout = \"250ms\"\nretry_backoff_min = \"1s\"\n"
      "retry_backoff_max = \"1m\"\n[kafka.properties]\n\"socket.timeout.ms\" = \"30000\"\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const sinks::KafkaSinkOptions o = KafkaSinkOptionsOf(c.value().kafka, "b1:9092,b2:9092");
  EXPECT_EQ(o.brokers, "b1:9092,b2:9092");
  EXPECT_EQ(o.transactional_id, "nianbao-1");
  EXPECT_EQ(o.compression, "lz4");
  EXPECT_EQ(o.queue_capacity, 8u);
  EXPECT_EQ(o.max_batches_per_transaction, 2u);
  EXPECT_EQ(o.transaction_timeout, 120s);
  EXPECT_EQ(o.call_timeout, 250ms);
  EXPECT_EQ(o.retry_backoff_min, 1s);
  EXPECT_EQ(o.retry_backoff_max, 60s);
  EXPECT_EQ(o.properties, (std::map<std::string, std::string>{{"socket.timeout.ms", "30000"}}));
}

TEST(ConfigKafkaTest, OneDefaultForEveryProducerSetting) {
  // KafkaConfig{} handed to the sink is the sink's own default, field by field.
  const sinks::KafkaSinkOptions o = KafkaSinkOptionsOf(KafkaConfig{}, "b:9092");
  const sinks::KafkaSinkOptions d;
  EXPECT_EQ(o.transactional_id, d.transactional_id);
  EXPECT_EQ(o.compression, d.compression);
  EXPECT_EQ(o.queue_capacity, d.queue_capacity);
  EXPECT_EQ(o.max_batches_per_transaction, d.max_batches_per_transaction);
  EXPECT_EQ(o.transaction_timeout, d.transaction_timeout);
  EXPECT_EQ(o.call_timeout, d.call_timeout);
  EXPECT_EQ(o.retry_backoff_min, d.retry_backoff_min);
  EXPECT_EQ(o.retry_backoff_max, d.retry_backoff_max);
  EXPECT_EQ(KafkaConfig{}.compression, "zstd");  // kafka_sink.h: "zstd (default)"
}

TEST(ConfigKafkaTest, ProducerSettingErrors) {
  ExpectError("[kafka]\nqueue_batches = 0\n", "nianbao.toml:2: [kafka] queue_batches: must be");
  ExpectError("[kafka]\ncall_timeout = \"0s\"\n", "nianbao.toml:2: [kafka] call_timeout: must");
  ExpectError("[kafka]\ncompression = \"brotli\"\n", "nianbao.toml:2: [kafka] compression:");
  ExpectError("[kafka]\nretry_backoff_min = \"5s\"\n\nretry_backoff_max = \"1s\"\n",
              "nianbao.toml:4: [kafka] retry_backoff_max: must not be shorter");
}

// ---- credentials

class ConfigCredentialTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("CREDENTIALS_DIRECTORY"); }
};

TEST_F(ConfigCredentialTest, PropertyFromCredentialsDirectory) {
  const testing::ScratchDir dir("config-test");
  dir.Write("kafka-password", "s3cret\n");  // as `echo s3cret > file` leaves it
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  auto c = Parse(
      "[kafka.properties]\n\"sasl.username\" = \"nianbao\"\n"
      "\"sasl.password\" = { credential = \"kafka-password\" }\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().kafka.properties.at("sasl.password"), "s3cret");
  EXPECT_EQ(c.value().kafka.properties.at("sasl.username"), "nianbao");
}

TEST_F(ConfigCredentialTest, ProblemsNameFileLineAndCredential) {
  const std::string text =
      "[kafka.properties]\n\n\"sasl.password\" = { credential = \"kafka-password\" }\n";
  unsetenv("CREDENTIALS_DIRECTORY");
  ExpectError(text,
              "nianbao.toml:3: [kafka.properties] sasl.password: credential \"kafka-password\": "
              "$CREDENTIALS_DIRECTORY is not set");
  const testing::ScratchDir dir("config-test");
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  ExpectError(text,
              "nianbao.toml:3: [kafka.properties] sasl.password: credential "
              "\"kafka-password\": cannot read");
  ExpectError("[kafka.properties]\n\"sasl.password\" = { credential = \"../etc/passwd\" }\n",
              "credential \"../etc/passwd\" is not a file name");
  ExpectError("[kafka.properties]\n\"sasl.password\" = { file = \"x\" }\n",
              "expected a string or { credential = \"NAME\" }");
}

// ---- [cluster]

TEST(ConfigClusterTest, DefaultsAndAKafkaEveryNodeReaches) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.value().cluster.enabled);
  EXPECT_EQ(c.value().cluster.group, "nianbao");
  EXPECT_EQ(c.value().cluster.partitions, 12);
  EXPECT_EQ(c.value().cluster.topic, "nianbao.cluster");
  EXPECT_EQ(c.value().cluster.changelog_topic, "nianbao.state");
  EXPECT_EQ(c.value().cluster.node, "");
  EXPECT_EQ(c.value().cluster.session_timeout, std::chrono::seconds(10));
  ExpectError("[cluster]\npartitions = 0\n", "[cluster] partitions");

  const testing::ScratchDir dir("config-test");
  dir.Write("sources.toml", "[[source]]\nname = \"a\"\nentry = [\"http://a.gov.cn/ndbg/\"]\n");
  // The embedded Kafka is one process's: nodes cannot share it.
  auto embedded = LoadConfig(
      dir.Write("embedded.toml", "sources = \"sources.toml\"\n[cluster]\nenabled = true\n"));
  ASSERT_FALSE(embedded.ok());
  EXPECT_NE(embedded.status().message().find("[cluster] enabled needs [kafka]"), std::string::npos)
      << embedded.status().message();
  auto shared = LoadConfig(dir.Write(
      "shared.toml",
      "sources = \"sources.toml\"\n[kafka]\nbrokers = \"k1:9092\"\n[cluster]\nenabled = true\n"
      "node = \"n1\"\nsession_timeout = \"3s\"\n"));
  ASSERT_TRUE(shared.ok()) << shared.status().message();
  EXPECT_TRUE(shared.value().cluster.enabled);
  EXPECT_EQ(shared.value().cluster.node, "n1");
  EXPECT_EQ(shared.value().cluster.session_timeout, std::chrono::seconds(3));
}

// ---- size cap

TEST(ConfigLoadTest, OversizedFileIsRefusedNamingIt) {
  const testing::ScratchDir dir("config-test");
  // A valid TOML file (comments only) over the cap: refused for its size, not parsed.
  std::string big;
  while (big.size() <= kMaxConfigBytes) big += "# padding padding padding padding padding\n";
  const std::string path = dir.Write("big.toml", big);
  auto c = LoadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kIoError);
  EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("larger than 1 MiB"), std::string::npos)
      << c.status().message();
}

TEST(ConfigLoadTest, DevZeroIsRefusedAfterTheCap) {
  auto c = LoadConfig("/dev/zero");  // endless: without a cap this read never ends
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("larger than 1 MiB"), std::string::npos)
      << c.status().message();
}

TEST(ConfigLoadTest, SmallFileWithSourcesLoads) {
  const testing::ScratchDir dir("config-test");
  dir.Write("sources.toml",
            "[[source]]\nname = \"a\"\nentry = [\"https://www.example.gov.cn/\"]\n");
  const std::string path = dir.Write("nianbao.toml", "sources = \"sources.toml\"\n");
  auto c = LoadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().sources.sources.size(), 1u);
  EXPECT_EQ(c.value().file.dir, c.value().state_dir + "/out");
}

// ---- reload

TEST(ConfigReloadTest, SourcesAndLogNeedNoRestart) {
  Config running;
  Config reloaded;
  reloaded.sources_path = "other-sources.toml";
  reloaded.log.level = "debug";
  reloaded.log.format = "json";
  EXPECT_EQ(SettingsNeedingRestart(running, reloaded), std::vector<std::string>{});
  EXPECT_EQ(DifferingSettings(running, reloaded),
            (std::vector<std::string>{"sources", "[log] format", "[log] level"}));
}

TEST(ConfigReloadTest, EveryOtherChangeIsNamed) {
  Config running;
  Config reloaded;
  reloaded.workers = 4;
  reloaded.kafka.brokers = "b:9092";
  reloaded.kafka.properties["sasl.password"] = "new";
  reloaded.metrics_listen = "127.0.0.1:9465";
  reloaded.shutdown_deadline = 10s;
  reloaded.log.level = "warn";
  EXPECT_EQ(SettingsNeedingRestart(running, reloaded),
            (std::vector<std::string>{"[ingest] workers", "[kafka] brokers", "[metrics] listen",
                                      "[shutdown] deadline", "[kafka.properties]"}));
}

TEST(ConfigReloadTest, EveryKeyButSourcesAndLogNeedsARestart) {
  // Each key in turn, changed by reading a file that sets it to a value other than its
  // default: the list is all keys but three.
  std::vector<std::string> need;
  for (const std::string& key : ConfigKeys()) {
    if (key != "sources" && key != "[log] format" && key != "[log] level") need.push_back(key);
  }
  auto changed = Parse(R"toml(state_dir = "/s"
[ingest]
workers = 3
queue = 3
queue_bytes = "3MiB"
[kafka]
enabled = false
brokers = "b:1"
embedded_brokers = 3
transactional_id = "t"
compression = "gzip"
queue_batches = 3
batches_per_transaction = 3
transaction_timeout = "3s"
call_timeout = "3s"
retry_backoff_min = "3s"
retry_backoff_max = "30s"
[kafka.topics]
reports = "r"
findings = "f"
fetches = "e"
sources = "s"
[file]
enabled = true
dir = "/d"
max_bytes = 3
max_files = 3
[stdout]
enabled = true
[archive]
enabled = false
dir = "/a"
max_file_size = 3
max_total_size = 3
keep_days = 3
[metrics]
listen = "0.0.0.0:3"
allow_non_loopback = true
ready_max_undelivered_age = "3s"
ready_max_backlog = 3
auth_user = "u"
auth_password_hash = "sha256$a$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
tls_cert = "c"
tls_key = "k"
[status]
enabled = false
max_reports = 3
max_findings = 3
[shutdown]
deadline = "3s"
[history]
enabled = false
missing_grace_days = 3
missing_before_watch = true
[cluster]
enabled = true
group = "g"
partitions = 3
topic = "t"
changelog_topic = "c"
node = "n"
session_timeout = "3s"
)toml");
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(SettingsNeedingRestart(Config{}, changed.value()), need);
}

// ---- [[alerts]]

// Retention: 0 turns each bound off; a size takes units; a negative size or an age past 100
// years is refused naming the key.
TEST(ConfigArchiveTest, RetentionSettings) {
  auto off = Parse("[archive]\nmax_total_size = 0\nkeep_days = 0\n");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_EQ(off.value().archive.max_total_bytes, 0);
  EXPECT_EQ(off.value().archive.keep_days, 0);
  auto on = Parse("[archive]\nmax_total_size = \"200GiB\"\nkeep_days = 3650\n");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_EQ(on.value().archive.max_total_bytes, 200ll << 30);
  EXPECT_EQ(on.value().archive.keep_days, 3650);
  ExpectError("[archive]\nmax_total_size = -1\n", "max_total_size");
  ExpectError("[archive]\nkeep_days = 40000\n", "keep_days");
}

TEST(ConfigAlertsTest, EachTableIsATarget) {
  setenv("NIANBAO_TEST_DING_SECRET", "SEC", 1);
  auto c = Parse(R"toml(
[[alerts]]
kind = "wecom"
url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"

[[alerts]]
kind = "dingtalk"
url = "https://oapi.dingtalk.com/robot/send?access_token=T"
min_severity = "error"
secret = "env:NIANBAO_TEST_DING_SECRET"
rate_limit = 10
max_attempts = 3
retry_backoff_min = "200ms"
retry_backoff_max = "5s"
rules = ["applications.balance"]
sources = ["dongcheng", "xicheng"]
organizations = ["东城区"]
)toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c.value().alerts.size(), 2u);
  const auto& wecom = c.value().alerts[0];
  EXPECT_EQ(wecom.kind, "wecom");
  EXPECT_EQ(wecom.url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K");
  EXPECT_EQ(wecom.min_severity, "warning");  // the default
  EXPECT_EQ(wecom.secret, "");
  const auto& ding = c.value().alerts[1];
  EXPECT_EQ(ding.min_severity, "error");
  EXPECT_EQ(ding.secret, "SEC");  // from the environment
  EXPECT_EQ(ding.rate_limit, 10);
  EXPECT_EQ(wecom.rate_limit, -1);  // the kind's own
  EXPECT_EQ(ding.max_attempts, 3);
  EXPECT_EQ(ding.retry_backoff_min, 200ms);
  EXPECT_EQ(ding.retry_backoff_max, 5s);
  EXPECT_EQ(wecom.max_attempts, 5);
  unsetenv("NIANBAO_TEST_DING_SECRET");
  EXPECT_EQ(ding.rules, std::vector<std::string>{"applications.balance"});
  EXPECT_EQ(ding.sources, (std::vector<std::string>{"dongcheng", "xicheng"}));
  EXPECT_EQ(ding.organizations, std::vector<std::string>{"东城区"});
  // A change of the targets needs a restart, named as one setting.
  EXPECT_EQ(SettingsNeedingRestart(Config{}, c.value()), std::vector<std::string>{"[[alerts]]"});
}

TEST(ConfigAlertsTest, MistakesNameTheLine) {
  ExpectError("[[alerts]]\nkind = \"pager\"\nurl = \"x\"\n",
              "nianbao.toml:2: [[alerts]] kind: expected one of webhook, wecom, dingtalk, feishu, "
              "email");
  ExpectError("[[alerts]]\nkind = \"email\"\nurl = \"smtp://m:587\"\nto = [\"a@b\"]\n",
              "nianbao.toml:1: [[alerts]] email: from and to are required");
  ExpectError("[[alerts]]\nkind = \"wecom\"\nurl = \"x\"\nto = [\"a@b\"]\n",
              "nianbao.toml:1: [[alerts]] from, to, username, password and starttls are for kind "
              "= \"email\"");
  ExpectError("[[alerts]]\nkind = \"wecom\"\nurl = \"x\"\nheaders = { X-A = \"1\" }\n",
              "nianbao.toml:1: [[alerts]] headers: for kind = \"webhook\" only");
  ExpectError("[[alerts]]\nkind = \"wecom\"\nurl = \"x\"\nretry_backoff_min = \"2m\"\n",
              "nianbao.toml:1: [[alerts]] retry_backoff_max: less than retry_backoff_min");
  ExpectError("[[alerts]]\nkind = \"wecom\"\nurl = \"x\"\nrate_limit = -1\n",
              "nianbao.toml:4: [[alerts]] rate_limit: expected messages per minute");
  ExpectError("[[alerts]]\nkind = \"webhook\"\n", "nianbao.toml:1: [[alerts]] url: required");
  ExpectError("[[alerts]]\nkind = \"webhook\"\nurl = \"x\"\nmin_severty = \"error\"\n",
              "nianbao.toml:4: [[alerts]] unknown key \"min_severty\" (did you mean "
              "\"min_severity\"?)");
  ExpectError("[[alerts]]\nkind = \"webhook\"\nurl = \"x\"\nmin_severity = \"loud\"\n",
              "nianbao.toml:4: [[alerts]] min_severity: expected one of info, warning, error");
  ExpectError("[[alerts]]\nkind = \"webhook\"\nurl = \"x\"\nrules = \"a\"\n",
              "nianbao.toml:4: [[alerts]] rules: expected a list of strings");
  ExpectError("alerts = 1\n", "nianbao.toml:1: alerts: expected [[alerts]] tables");
}

TEST(ConfigAlertsTest, EmailTakesItsSmtpSettings) {
  const testing::ScratchDir dir("config-test");
  dir.Write("smtp-password", "pw\n");
  setenv("CREDENTIALS_DIRECTORY", dir.path().c_str(), 1);
  auto c = Parse(R"toml(
[[alerts]]
kind = "email"
url = "smtp://mail.example.org:587"
from = "nianbao@example.org"
to = ["office@example.org", "desk@example.org"]
username = "nianbao"
password = "credential:smtp-password"
)toml");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const auto& mail = c.value().alerts.at(0);
  EXPECT_EQ(mail.from, "nianbao@example.org");
  EXPECT_EQ(mail.to, (std::vector<std::string>{"office@example.org", "desk@example.org"}));
  EXPECT_EQ(mail.username, "nianbao");
  EXPECT_EQ(mail.password, "pw");
  EXPECT_TRUE(mail.starttls);  // the default
}

TEST(ConfigAlertsTest, SecretsAreReferencesNeverLiterals) {
  // A literal secret in the (world-readable) config is refused, wherever it is.
  ExpectError("[[alerts]]\nkind = \"webhook\"\nurl = \"x\"\nsecret = \"SEC\"\n",
              "nianbao.toml:4: [[alerts]] secret: a secret is not written in the config");
  ExpectError("[kafka.properties]\n\"sasl.password\" = \"pw\"\n",
              "nianbao.toml:2: [kafka.properties] sasl.password: a secret is not written in the "
              "config");
  ExpectError("[[alerts]]\nkind = \"webhook\"\nurl = \"x\"\nsecret = \"env:NIANBAO_TEST_UNSET\"\n",
              "secret: environment variable \"NIANBAO_TEST_UNSET\" is not set");
  // The robot's URL, which carries its key, may be a reference; an empty secret is no secret.
  setenv("NIANBAO_TEST_WECOM_URL", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", 1);
  setenv("NIANBAO_TEST_KAFKA_PASSWORD", "kpw", 1);
  auto c = Parse(
      "[kafka.properties]\n\"sasl.password\" = \"env:NIANBAO_TEST_KAFKA_PASSWORD\"\n"
      "[[alerts]]\nkind = \"wecom\"\nurl = \"env:NIANBAO_TEST_WECOM_URL\"\nsecret = \"\"\n");
  unsetenv("NIANBAO_TEST_WECOM_URL");
  unsetenv("NIANBAO_TEST_KAFKA_PASSWORD");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c.value().alerts.at(0).url, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K");
  EXPECT_EQ(c.value().alerts.at(0).secret, "");
  EXPECT_EQ(c.value().kafka.properties.at("sasl.password"), "kpw");
}

// ---- errors of the walk still name file and line

TEST(ConfigErrorTest, UnknownKeysAndTables) {
  ExpectError("[metrics]\nallow_nonloopback = true\n",
              "nianbao.toml:2: [metrics] unknown key \"allow_nonloopback\"");
  ExpectError("[kafka.extra]\nx = 1\n", "unknown table [kafka.extra]");
  ExpectError("[log]\nlevel = \"loud\"\n", "nianbao.toml:2: [log] level: expected one of");
}

// Near misses get the hint the sources file gives: the key meant, or the table it belongs in.
TEST(ConfigErrorTest, UnknownKeysNameTheNearMiss) {
  ExpectError("[metrics]\nallow_nonloopback = true\n",
              "unknown key \"allow_nonloopback\" (did you mean \"allow_non_loopback\"?)");
  ExpectError("[kafka]\nbroker = \"k:9092\"\n", "(did you mean \"brokers\"?)");
  ExpectError("[ingest]\nworkers = 2\ndeadline = \"3s\"\n",
              "nianbao.toml:3: [ingest] unknown key \"deadline\" (it belongs in [shutdown])");
  ExpectError("[metric]\nlisten = \"127.0.0.1:1\"\n",
              "unknown table [metric] (did you mean [metrics]?)");
  // Nothing close: no hint.
  auto c = Parse("[kafka]\nzzzzzz = 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "nianbao.toml:2: [kafka] unknown key \"zzzzzz\"");
}

}  // namespace
}  // namespace nianbao::app
