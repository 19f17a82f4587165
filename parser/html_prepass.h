// HTML pre-pass: a byte-level rewrite of a page that gives Gumbo less to parse without changing
// anything the HTML reader (html_reader.h) reads.
//
// Most bytes of a portal page are never read: script and style bodies, comments (Word's
// conditional comments hold whole XML islands), and attributes (Word's style="mso-…" on every
// <span>, class=MsoNormal, hrefs of navigation menus). The pre-pass tokenizes the page as
// Gumbo's tokenizer does (tag names, attribute quoting, comment ends, raw-text and
// script-data end tags) and writes it again with:
//   * every comment and bogus comment (<!--…-->, <![if …]>, <?xml …?>) as an empty comment
//     <!---->: the node stays, so text on either side still makes two text nodes;
//   * the content of the elements named in PrepassRules::emptied_elements removed (their start
//     and end tags stay);
//   * attributes kept only where PrepassRules::attributes says the reader (or Gumbo's tree
//     builder) reads them; the elements in verbatim_elements keep all of theirs (Gumbo merges
//     the attributes of repeated <html>/<body> tags, and its "Noah's Ark" clause compares
//     those of formatting elements).
// It removes no element and no text outside emptied elements: an inline wrapper such as
// <span> splits text into nodes, and the reader looks for its report markers per text node,
// so dropping one could change what is read. Past a <frameset> start tag the rest of the page
// is copied as is (the tree builder stops treating <script> as raw text there).
//
// The output is never longer than the input; it is written into one buffer reserved once, and
// the page is scanned with memchr-driven searches, without allocation per tag.
//
// Pure: no I/O. Threading: safe to call from any thread; the rules are immutable.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace nianbao::parser {

// Which attribute values are worth keeping.
enum class PrepassValue {
  kAlways,      // any value
  kNameWords,   // a value holding (ASCII case-insensitively) one of PrepassRules::name_words
  kStyleWords,  // a value holding one of style_words once lower-cased and stripped of spaces
};

struct PrepassAttribute {
  std::string_view element;  // lower case; empty: on every element
  std::string_view name;     // lower case
  PrepassValue value;
};

struct PrepassRules {
  std::span<const PrepassAttribute> attributes;
  std::span<const std::string_view> verbatim_elements;  // keep all their attributes
  std::span<const std::string_view> emptied_elements;   // raw-text elements whose text goes
  // kNameWords: lower case, without spaces (the reader joins class and id with a space).
  std::span<const std::string_view> name_words;
  // kStyleWords: lower case, without spaces.
  std::span<const std::string_view> style_words;
};

// Writes the rewritten page into *out (replacing its content). REQUIRES: out != nullptr.
void PrepassHtml(std::string_view html, const PrepassRules& rules, std::string* out);

}  // namespace nianbao::parser
