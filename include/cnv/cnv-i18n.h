/* cnv-i18n.h — where Convolve finds its translations */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sets the locale from the environment and binds Convolve's message
 * catalogue: the installed one, or, for a program run from the build
 * folder before `meson install`, the catalogues the build compiled. */
void cnv_i18n_init (void);

G_END_DECLS
