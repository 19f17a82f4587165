// The DOC reader (parser/doc_reader.h) on broken input: a compound file whose FAT loops, a
// truncated DOC, an encrypted one. Each ends in a clear error, and through the facade in the
// finding meta.unreadable_document naming DOC. The compound files here are written out byte
// by byte ([MS-CFB] 2.2: header, FAT sector, directory sector, data sectors).
#include "parser/doc_reader.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "parser/document_reader.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

void Put16(std::string* b, size_t at, uint16_t v) {
  (*b)[at] = static_cast<char>(v & 0xFF);
  (*b)[at + 1] = static_cast<char>(v >> 8);
}
void Put32(std::string* b, size_t at, uint32_t v) {
  Put16(b, at, static_cast<uint16_t>(v & 0xFFFF));
  Put16(b, at + 2, static_cast<uint16_t>(v >> 16));
}
void PutName(std::string* b, size_t at, const std::string& ascii) {
  for (size_t i = 0; i < ascii.size(); ++i) Put16(b, at + 2 * i, static_cast<uint8_t>(ascii[i]));
  Put16(b, at + 0x40, static_cast<uint16_t>(2 * (ascii.size() + 1)));
}

// Sector 0 is the FAT, sector 1 the directory (root, WordDocument), sectors 2..21 data. The
// WordDocument stream (8192 bytes, over the mini stream cutoff) starts at sector 2 and follows
// `chain` through the FAT.
std::string MakeCfb(const std::vector<std::pair<uint32_t, uint32_t>>& chain) {
  std::string b(512 * 23, '\0');
  b.replace(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  Put16(&b, 0x18, 0x3E);
  Put16(&b, 0x1A, 3);
  Put16(&b, 0x1C, 0xFFFE);
  Put16(&b, 0x1E, 9);
  Put16(&b, 0x20, 6);
  Put32(&b, 0x2C, 1);           // FAT sectors
  Put32(&b, 0x30, 1);           // first directory sector
  Put32(&b, 0x38, 4096);        // mini stream cutoff
  Put32(&b, 0x3C, 0xFFFFFFFE);  // no mini FAT
  Put32(&b, 0x44, 0xFFFFFFFE);  // no DIFAT sectors
  Put32(&b, 0x4C, 0);           // the FAT is sector 0
  for (size_t i = 1; i < 109; ++i) Put32(&b, 0x4C + 4 * i, 0xFFFFFFFF);
  const size_t fat = 512, dir = 1024;
  for (size_t i = 0; i < 128; ++i) Put32(&b, fat + 4 * i, 0xFFFFFFFF);
  Put32(&b, fat + 0, 0xFFFFFFFD);
  Put32(&b, fat + 4, 0xFFFFFFFE);
  for (auto [from, to] : chain) Put32(&b, fat + 4 * from, to);
  PutName(&b, dir, "Root Entry");
  b[dir + 0x42] = 5;
  Put32(&b, dir + 0x44, 0xFFFFFFFF);
  Put32(&b, dir + 0x48, 0xFFFFFFFF);
  Put32(&b, dir + 0x4C, 1);
  Put32(&b, dir + 0x74, 0xFFFFFFFE);
  PutName(&b, dir + 128, "WordDocument");
  b[dir + 128 + 0x42] = 2;
  Put32(&b, dir + 128 + 0x44, 0xFFFFFFFF);
  Put32(&b, dir + 128 + 0x48, 0xFFFFFFFF);
  Put32(&b, dir + 128 + 0x4C, 0xFFFFFFFF);
  Put32(&b, dir + 128 + 0x74, 2);
  Put32(&b, dir + 128 + 0x78, 8192);
  for (size_t i = 2; i < 4; ++i) Put32(&b, 512 * 4 + 4 * i, 0xFFFFFFFF);
  return b;
}

TEST(DocBadInput, LoopInTheFatIsAnError) {
  // 2 → 3 → 2: the stream's chain comes back to a sector it has read.
  std::string cfb = MakeCfb({{2, 3}, {3, 2}});
  EXPECT_EQ(SniffFormat(cfb, ""), DocumentFormat::kDoc);
  auto doc = ReadDoc(cfb, {});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("loop"), std::string::npos) << doc.status().ToString();
  Json j = ParseToJson(cfb);
  ASSERT_EQ(RuleIds(j), std::vector<std::string>{"meta.unreadable_document"});
  EXPECT_NE(j["findings"][0]["message"].get<std::string>().find("DOC"), std::string::npos);
  EXPECT_EQ(j["report"]["source"]["media_type"], "application/msword");
}

TEST(DocBadInput, ChainLeavingTheFatIsAnError) {
  auto doc = ReadDoc(MakeCfb({{2, 5000}}), {});
  ASSERT_FALSE(doc.ok());
}

TEST(DocBadInput, TruncatedDocIsAnUnreadableDocFinding) {
  std::string bytes = ReadFixture("documents/form_2021.doc");
  for (size_t keep : {bytes.size() / 2, bytes.size() / 8, size_t{600}}) {
    std::string cut = bytes.substr(0, keep);
    auto doc = ReadDoc(cut, {});
    EXPECT_FALSE(doc.ok()) << keep;
    Json j = ParseToJson(cut);
    EXPECT_EQ(RuleIds(j), std::vector<std::string>{"meta.unreadable_document"}) << keep;
  }
}

TEST(DocBadInput, EncryptedDocIsRefused) {
  std::string bytes = ReadFixture("documents/form_2021.doc");
  // The FIB opens the WordDocument stream (wIdent 0xA5EC at a sector boundary); fEncrypted is
  // bit 8 of its flags at 0x0A.
  size_t fib = std::string::npos;
  for (size_t at = 512; at + 512 <= bytes.size(); at += 512) {
    if (static_cast<uint8_t>(bytes[at]) == 0xEC && static_cast<uint8_t>(bytes[at + 1]) == 0xA5) {
      fib = at;
      break;
    }
  }
  ASSERT_NE(fib, std::string::npos);
  bytes[fib + 0x0B] = static_cast<char>(bytes[fib + 0x0B] | 0x01);
  auto doc = ReadDoc(bytes, {});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("encrypted"), std::string::npos);
}

TEST(DocBadInput, TextOverTheLimitIsRefused) {
  ReaderLimits limits;
  limits.max_text_bytes = 1000;
  auto doc = ReadDoc(ReadFixture("documents/form_2021.doc"), limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), Status::Code::kTooLarge);
}

}  // namespace
}  // namespace nianbao::parser::testing
