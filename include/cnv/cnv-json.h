/* cnv-json.h — JSON text in and out, around json-glib 1.6's known faults
 *
 * json-glib 1.6 writes a double such as 1e-08 as "1e-08.0", which no JSON
 * parser (json-glib included) reads back, and it crashes on very deep
 * nesting.  Every JSON document Convolve writes or reads goes through these
 * two functions so neither fault can reach a checkpoint or a model file.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Documents nested deeper than this are refused before parsing. */
#define CNV_JSON_MAX_DEPTH 64

/* Serialises node as valid JSON (RFC 8259): doubles in the shortest form
 * that reads back exactly, NaN and infinities as null; with pretty, two
 * spaces of indentation. */
char     *cnv_json_to_string (JsonNode    *node,
                              gboolean     pretty);
/* Parses text after checking its nesting depth.  what names the document
 * in messages ("the model description “spec.json”"). */
JsonNode *cnv_json_parse     (const char  *text,
                              gssize       length,
                              const char  *what,
                              GError     **error);
/* The double whose shortest decimal form reads back as value, so that
 * 0.001f is written as 0.001 and not 0.0010000000474974513. */
double    cnv_json_float     (float        value);

G_END_DECLS
