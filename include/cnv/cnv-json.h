/* cnv-json.h — JSON text in and out, around json-glib 1.6's known faults
 *
 * json-glib 1.6 writes a double such as 1e-08 as "1e-08.0", which no JSON
 * parser (json-glib included) reads back; it crashes on very deep nesting,
 * accepts comments and single quotes, wraps integers above 2^63 and keeps
 * the last of two equal keys silently.  Every JSON document Convolve writes
 * or reads (the safetensors header, the checkpoint metadata, the model
 * description) goes through these functions so none of that can reach a
 * checkpoint or a model file.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Documents nested deeper than this are refused before parsing. */
#define CNV_JSON_MAX_DEPTH 64
/* 2^53 has 16 digits: a number whose integer part has more digits cannot
 * be read exactly (json-glib silently wraps integers above 2^63). */
#define CNV_JSON_MAX_INTEGER_DIGITS 16

#define CNV_JSON_ERROR (cnv_json_error_quark ())

typedef enum
{
  CNV_JSON_ERROR_SYNTAX,     /* not RFC 8259 JSON, too deep, an integer too
                              * long, or not an object at the top */
  CNV_JSON_ERROR_ENCODING,   /* not UTF-8 */
  CNV_JSON_ERROR_DUPLICATE,  /* a key repeated within one object */
} CnvJsonError;

GQuark cnv_json_error_quark (void);

/* Why strict parsing failed, in pieces, so that each caller can say it in
 * one whole sentence of its own ("The header of “x.convolve” is not valid
 * JSON at byte offset 9: a string was expected."). */
typedef struct
{
  CnvJsonError  code;
  gsize         offset;  /* SYNTAX, ENCODING: bytes from the start of text */
  char         *detail;  /* SYNTAX: a translated clause that stands alone
                          * after a colon ("a string was expected") */
  char         *key;     /* DUPLICATE: the repeated key, escapes decoded */
} CnvJsonProblem;

void      cnv_json_problem_clear (CnvJsonProblem *problem);

/* The one JSON reader.  Parses text as strict JSON (RFC 8259: no comments,
 * single quotes, leading zeros or trailing text) whose top level is an
 * object, nested at most CNV_JSON_MAX_DEPTH levels, with no integer longer
 * than CNV_JSON_MAX_INTEGER_DIGITS digits and no key repeated in any
 * object at any level.  The text is checked before json-glib sees it.  On
 * failure returns NULL and fills *problem (clear it with
 * cnv_json_problem_clear () or declare it g_auto (CnvJsonProblem)). */
JsonNode *cnv_json_parse_strict  (const char     *text,
                                  gsize           length,
                                  CnvJsonProblem *problem);

/* Serialises node as valid JSON (RFC 8259): doubles in the shortest form
 * that reads back exactly, NaN and infinities as null; with pretty, two
 * spaces of indentation. */
char     *cnv_json_to_string (JsonNode    *node,
                              gboolean     pretty);
/* cnv_json_parse_strict () with a GError (CNV_JSON_ERROR) whose message
 * starts with what ("The model description"), a noun phrase naming the
 * document.  Callers that can should use cnv_json_parse_strict () and say
 * the whole sentence themselves, which translators can reorder. */
JsonNode *cnv_json_parse     (const char  *text,
                              gssize       length,
                              const char  *what,
                              GError     **error);
/* The double whose shortest decimal form reads back as value, so that
 * 0.001f is written as 0.001 and not 0.0010000000474974513. */
double    cnv_json_float     (float        value);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CnvJsonProblem, cnv_json_problem_clear)

G_END_DECLS
