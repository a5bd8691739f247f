/* cnv-i18n.c — where Convolve finds its translations
 *
 * An installed Convolve has its data folder (share/convolve); a build
 * that was never installed does not, and then the catalogues that the
 * build compiled into its po/ folder are the ones to read, so that
 * `LANGUAGE=de ./build/src/app/convolve` speaks German straight away.
 */
#define G_LOG_DOMAIN "cnv-i18n"

#include <locale.h>
#include <glib/gi18n-lib.h>

#include "cnv-config.h"
#include "cnv-i18n.h"

void
cnv_i18n_init (void)
{
  const char *folder = CNV_LOCALEDIR;

  setlocale (LC_ALL, "");
  if (!g_file_test (CNV_PKGDATADIR, G_FILE_TEST_IS_DIR)
      && g_file_test (CNV_BUILD_LOCALEDIR, G_FILE_TEST_IS_DIR))
    folder = CNV_BUILD_LOCALEDIR;

  bindtextdomain (GETTEXT_PACKAGE, folder);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
