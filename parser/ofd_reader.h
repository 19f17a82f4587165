// OFD reader: an OFD file (GB/T 33190, the Chinese fixed-layout format) held in memory into
// the Document model, through the same position-based rebuild as PDF (layout.h).
//
// An OFD is a ZIP (read with libzip from memory) of XML parts: OFD.xml names the document's
// root (DocBody/DocRoot), whose Document.xml lists the pages (Pages/Page/@BaseLoc) and their
// size (CommonData/PageArea/PhysicalBox); each page's Content.xml holds TextObjects
// (@Boundary "x y w h", @Size, in millimetres) with TextCodes (@X @Y the baseline of the first
// glyph, @DeltaX the advances, "g N d" for N times d) and PathObjects, whose thin ones are the
// tables' ruled lines. Transforms (@CTM) and the pages' templates are not applied: the
// exporters of annual reports write text untransformed on the page itself.
//
// Bounds (ReaderLimits): at most max_zip_entries entries, max_inflated_bytes inflated in all
// (the sizes a ZIP claims are not trusted), XML nested at most max_xml_depth deep (checked on
// the bytes before parsing; pugixml expands no entity of a DTD), max_pages pages,
// max_text_bytes of text. Errors are a Status whose message starts with "OFD" and says why.
//
// Pure. Threading: safe to call concurrently; each call owns its ZIP and XML.
#pragma once

#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {

Result<Document> ReadOfd(std::string_view bytes, const ReaderLimits& limits);

}  // namespace nianbao::parser
