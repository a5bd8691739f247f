/* cnv-format.h — numbers and shapes as the app's labels show them */
#pragma once

#include "cnv.h"

G_BEGIN_DECLS

/* "53,729": digits grouped by three with the locale's thousands
 * separator; in a locale that has none (the C locale) a comma, or a
 * narrow no-break space where the comma is the decimal point. */
char *cnv_format_count   (guint64 count);
/* "93.8 %" for 0.938 with 1 decimal, as the language writes it. */
char *cnv_format_percent (double  fraction,
                          int     decimals);
/* "8 × 28 × 28" for feature maps, "120" for flat features, and "?" when
 * the shape could not be inferred (channels = 0). */
char *cnv_format_shape (const CnvShape *shape);
/* The display name of the file or folder at path, for a label that takes
 * mnemonics: each "_" doubled, so that it stays one. */
char *cnv_format_mnemonic_name (const char *path);

G_END_DECLS
