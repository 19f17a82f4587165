// HTML reader: a report page, as portals publish it, into the Document model.
//
// Gumbo parses the page (HTML5 error recovery, so truncated or broken markup still yields a
// tree). The reader walks the tree iteratively (no recursion: hostile pages nest deeply) and
// emits paragraphs and tables in reading order. It leaves out portal chrome: script, style,
// nav, header/footer, forms, elements whose class or id names navigation, breadcrumbs
// (当前位置), share buttons or footers, and short lines such as 来源：… / 发布时间：… /
// 浏览次数. The page's own 发布日期/发布时间 (or <meta name="PubDate">) is kept in
// Document::page_date; <meta name="ArticleTitle"> or <title> in Document::page_title.
// Tables are expanded into a grid: a cell with rowspan/colspan is copied into every slot it
// covers, the copies marked Cell::span_copy. Word-export noise (mso spans, &nbsp;, <o:p>) is
// flattened to text; <br> and <p> inside a cell become '\n'. Before Gumbo sees the page, a
// byte-level pre-pass (html_prepass.h) empties comments, scripts and styles and drops the
// attributes nothing here reads.
//
// Pure. Threading: safe to call from any thread. REQUIRES: utf8 is valid UTF-8.
#pragma once

#include <string_view>

#include "parser/document.h"
#include "parser/html_prepass.h"

namespace nianbao::parser {

struct HtmlReadOptions {
  // Rewrite the page with the pre-pass (html_prepass.h) before Gumbo parses it (default:
  // true). The Document is the same either way; false is for the tests and benchmarks that
  // show it.
  bool prepass = true;
};

Document ReadHtml(std::string_view utf8, const HtmlReadOptions& options = {});

// The rules ReadHtml gives its pre-pass: what of the markup it reads (for benchmarks and the
// fuzz target, which run the pre-pass alone).
const PrepassRules& HtmlReaderPrepassRules();

// True when the bytes look like HTML rather than plain text (a tag such as <html, <body,
// <p, <table, <div or <!DOCTYPE near the start).
bool LooksLikeHtml(std::string_view bytes);

}  // namespace nianbao::parser
