/* app-test-util.h — what the window tests share: running the main loop
 * until something holds, screenshots, a fresh application, expected
 * warnings */
#pragma once

#include "cnv.h"
#include "cnv-application.h"
#include "cnv-window.h"

G_BEGIN_DECLS

typedef gboolean (*Predicate) (gpointer data);

/* g_test_init () for a window test: no accessibility bus, no OpenGL,
 * memory settings, the user's data folder under the build folder, and
 * test_log_writer for the log. */
void            app_test_init       (int        *argc,
                                     char     ***argv);

/* Runs the main loop until done (data) holds or seconds pass. */
gboolean        iterate_until       (Predicate   done,
                                     gpointer    data,
                                     double      seconds);
/* Lets the window lay out and draw for a moment. */
void            settle              (double      seconds);

/* Predicates */
gboolean        time_passed         (gpointer    data);   /* gint64 * */
gboolean        pointer_cleared     (gpointer    data);   /* gpointer * */
gboolean        flag_set            (gpointer    data);   /* gboolean * */
gboolean        window_idle         (gpointer    data);   /* CnvWindow * */
gboolean        not_training        (gpointer    data);   /* CnvWindow * */

/* name under screenshots/ in the build folder, which is made. */
char           *screenshot_path     (const char *name);
/* Draws widget into screenshot_path (name) right after a frame. */
void            save_screenshot     (GtkWidget  *widget,
                                     const char *name);

/* Every key of settings back to the schema's default. */
void            reset_settings      (GSettings  *settings);
/* The same of a window without its toast, as docs/ shows the views. */
void            save_docs_screenshot (CnvWindow *window,
                                      const char *name);
/* A registered application whose settings are the schema's defaults
 * (the memory backend lives as long as the process). */
CnvApplication *new_test_application (void);
void            destroy_and_check_finalized (CnvWindow *window);
char           *sample_folder       (void);

/* Real input through the X server, with xdotool (skips the test and
 * returns FALSE without it). */
gboolean        have_xdotool        (void);
/* Runs xdotool with arguments (after "xdotool"; the word WINDOW stands
 * for window's X id) and takes in the events it caused. */
void            xdotool             (GtkWindow  *window,
                                     const char *arguments);
/* Presses keys ("ctrl+z", "alt+Down") with window focused. */
void            press_keys          (GtkWindow  *window,
                                     const char *keys);
/* Types text (without spaces) into window's focused widget. */
void            type_text           (GtkWindow  *window,
                                     const char *text);

/* The main loop's largest stall: a 1 ms timeout notes when the loop gets
 * to it, and the largest gap between two of its turns is the longest the
 * window did not answer.  Each gap over a frame (16 ms) is logged with
 * g_test_message (). */
typedef struct _StallProbe StallProbe;

StallProbe     *stall_probe_start       (void);
/* The largest gap so far, in milliseconds. */
double          stall_probe_get_largest (const StallProbe *probe);
/* Frees probe; returns the largest gap in milliseconds, and the number
 * of turns in turns (may be NULL). */
double          stall_probe_stop        (StallProbe       *probe,
                                         guint            *turns);

/* The app logs with structured logging, which g_test_expect_message ()
 * of GLib 2.74 does not see: install test_log_writer with
 * g_log_set_writer_func () and warnings matching the glob in
 * expected_warning are swallowed and counted. */
extern const char *expected_warning;
extern guint       n_expected_warnings;

GLogWriterOutput test_log_writer    (GLogLevelFlags   level,
                                     const GLogField *fields,
                                     gsize            n_fields,
                                     gpointer         user_data);

G_END_DECLS
