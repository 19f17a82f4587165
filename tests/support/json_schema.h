// Loading the JSON Schemas of schemas/ into valijson, for the schema test and the
// output-contract fuzz target (fuzz/fuzz_parse_schema.cc).
//
// The including file defines VALIJSON_USE_EXCEPTIONS 1 before any valijson header (valijson
// otherwise reports a bad schema by calling abort()) and NIANBAO_SCHEMAS, the schemas
// directory (the build sets it). Threading: LoadSchema reads files; a loaded Schema is
// read-only and may be shared.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>

namespace nianbao::testing {

// Reads schemas/<name>. valijson 1.0 takes the resolution scope of a document from the
// draft-04 keyword "id" only, so the draft-07 "$id" is copied there: without a scope, the
// same JSON pointer in two documents (e.g. /properties/schema of the report and of the
// finding) would share one entry of valijson's schema cache.
inline nlohmann::json LoadSchemaDocument(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_SCHEMAS) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open schemas/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(ss.str());
  if (doc.is_object() && doc.contains("$id")) doc["id"] = doc["$id"];
  return doc;
}

namespace schema_internal {

// Every $ref between our schemas names a sibling file ("report.v1.schema.json"). valijson
// resolves a relative reference by appending it to the current scope; we take it as it is.
class SiblingFileSchemaParser : public valijson::SchemaParser {
 public:
  SiblingFileSchemaParser() : valijson::SchemaParser(kDraft7) {}

 private:
  std::optional<std::string> resolveDocumentUri(
      const std::optional<std::string>& scope,
      const std::optional<std::string>& document) override {
    return document ? document : scope;
  }
};

// valijson owns what the fetch callback returns until it calls the free callback.
inline const nlohmann::json* FetchSchemaDocument(const std::string& uri) {
  if (uri.find('/') != std::string::npos) return nullptr;  // only files of schemas/
  try {
    return new nlohmann::json(LoadSchemaDocument(uri));
  } catch (const std::exception&) {
    return nullptr;  // valijson then fails with "Failed to fetch referenced schema document"
  }
}
inline void FreeSchemaDocument(const nlohmann::json* doc) { delete doc; }

}  // namespace schema_internal

// Throws std::exception when the schema file is missing, is not JSON or is not a schema.
inline std::unique_ptr<valijson::Schema> LoadSchema(const std::string& name) {
  const nlohmann::json doc = LoadSchemaDocument(name);
  auto schema = std::make_unique<valijson::Schema>();
  schema_internal::SiblingFileSchemaParser parser;
  parser.populateSchema(valijson::adapters::NlohmannJsonAdapter(doc), *schema,
                        schema_internal::FetchSchemaDocument, schema_internal::FreeSchemaDocument);
  return schema;
}

}  // namespace nianbao::testing
