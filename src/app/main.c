/* main.c — starts Convolve: gettext, then the application */
#define G_LOG_DOMAIN "convolve"

#include <locale.h>
#include <glib/gi18n.h>

#include "cnv-config.h"
#include "cnv-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CnvApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, CNV_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = cnv_application_new (CNV_APP_ID,
                             G_APPLICATION_HANDLES_COMMAND_LINE
                             | G_APPLICATION_HANDLES_OPEN);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
