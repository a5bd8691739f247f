/* cnv-checkpoint-private.h — what cnv-safetensors.c shares with
 * cnv-checkpoint.c
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Parses text as strict JSON (RFC 8259) whose top level is an object,
 * nested at most 64 levels, with integers short enough to be exact and no
 * key repeated in any object.  On failure returns NULL and sets *problem
 * to a translated clause that completes "The header of “x.convolve” …"
 * (byte offsets counted from offset_base), and *duplicate to the repeated
 * key when that was the problem. */
JsonNode *cnv_json_parse_strict (const char  *text,
                                 gsize        length,
                                 gsize        offset_base,
                                 char       **problem,
                                 char       **duplicate);

G_END_DECLS
