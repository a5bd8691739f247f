/* main.c — starts Convolve: gettext, then the application */
#define G_LOG_DOMAIN "convolve"

#include "cnv.h"

#include "cnv-config.h"
#include "cnv-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(CnvApplication) app = NULL;

  cnv_i18n_init ();

  app = cnv_application_new (CNV_APP_ID,
                             G_APPLICATION_HANDLES_COMMAND_LINE
                             | G_APPLICATION_HANDLES_OPEN);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
