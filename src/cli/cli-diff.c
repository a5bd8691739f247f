/* cli-diff.c — convolve-cli diff: what differs between two checkpoints or
 * model descriptions, like `git diff`
 *
 * Both files are read leniently (cnv_model_record_load ()), so a
 * checkpoint Convolve cannot run still shows; what it cannot do is said
 * under its name.  Rows are marked as a diff marks lines: " " same, "~"
 * changed, "+" only in B, "-" only in A, ">" moved; on a terminal they
 * are coloured too.  Exit status 0 when nothing differs, 1 when something
 * does, 2 when a file cannot be read.
 */
#define G_LOG_DOMAIN "cnv-cli"

#include "cnv-config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "cli.h"

typedef struct
{
  gboolean json;
  char    *color;     /* "auto", "always" or "never" */
} DiffOptions;

typedef struct
{
  gboolean color;
} Out;

#define RED    "\033[31m"
#define GREEN  "\033[32m"
#define YELLOW "\033[33m"
#define CYAN   "\033[36m"
#define BOLD   "\033[1m"
#define RESET  "\033[0m"

static const char *
paint (const Out  *out,
       const char *code)
{
  return out->color ? code : "";
}

static const char *
status_marker (CnvDiffStatus status)
{
  switch (status)
    {
    case CNV_DIFF_CHANGED:
      return "~";
    case CNV_DIFF_ADDED:
      return "+";
    case CNV_DIFF_REMOVED:
      return "-";
    case CNV_DIFF_MOVED:
      return ">";
    case CNV_DIFF_SAME:
    default:
      return " ";
    }
}

static const char *
status_color (CnvDiffStatus status)
{
  switch (status)
    {
    case CNV_DIFF_CHANGED:
      return YELLOW;
    case CNV_DIFF_ADDED:
      return GREEN;
    case CNV_DIFF_REMOVED:
      return RED;
    case CNV_DIFF_MOVED:
      return CYAN;
    case CNV_DIFF_SAME:
    default:
      return "";
    }
}

/* text followed by spaces up to width characters (not bytes: "×" is
 * two bytes of UTF-8). */
static char *
pad (const char *text,
     int         width)
{
  glong length = g_utf8_strlen (text, -1);
  GString *padded = g_string_new (text);

  for (glong i = length; i < width; i++)
    g_string_append_c (padded, ' ');

  return g_string_free (padded, FALSE);
}

static void
print_fields (const Out  *out,
              const char *indent,
              GPtrArray  *fields)
{
  for (guint i = 0; i < fields->len; i++)
    {
      const CnvDiffField *field = g_ptr_array_index (fields, i);

      g_autofree char *change = cnv_diff_field_format_change (field);

      printf ("%s%s~ %s: %s%s\n", indent, paint (out, YELLOW), field->title,
              change, paint (out, RESET));
    }
}

static void
print_section (const Out  *out,
               const char *title,
               GPtrArray  *fields)
{
  if (fields->len == 0)
    return;

  printf ("\n%s%s%s\n", paint (out, BOLD), title, paint (out, RESET));
  print_fields (out, "  ", fields);
}

/* "conv1 (conv2d)", or "conv1 → features_0 (conv2d)" for a renamed one. */
static char *
layer_name (const CnvDiffLayerRow *row)
{
  const CnvRecordLayer *one = row->a != NULL ? row->a : row->b;

  if (row->a != NULL && row->b != NULL && !g_str_equal (row->a->id, row->b->id))
    return g_strdup_printf ("%s → %s (%s)", row->a->id, row->b->id,
                            row->b->type);

  return g_strdup_printf ("%s (%s)", one->id, one->type);
}

static char *
layer_shape (const CnvDiffLayerRow *row)
{
  g_autofree char *a = row->a != NULL
                       ? cnv_shape_to_display_string (&row->a->output) : NULL;
  g_autofree char *b = row->b != NULL
                       ? cnv_shape_to_display_string (&row->b->output) : NULL;

  if (a != NULL && b != NULL && !g_str_equal (a, b))
    return g_strdup_printf ("%s → %s", a, b);

  return g_strdup (a != NULL ? a : b);
}

static char *
layer_params (const CnvDiffLayerRow *row)
{
  g_autofree char *a = row->a != NULL ? cnv_cli_format_count (row->a->n_params)
                                      : NULL;
  g_autofree char *b = row->b != NULL ? cnv_cli_format_count (row->b->n_params)
                                      : NULL;

  if (a != NULL && b != NULL && !g_str_equal (a, b))
    return g_strdup_printf ("%s → %s", a, b);

  return g_strdup (a != NULL ? a : b);
}

static void
print_layers (const Out     *out,
              const CnvDiff *diff)
{
  printf ("\n%s%s%s\n", paint (out, BOLD), _("Layers"), paint (out, RESET));

  for (guint i = 0; i < diff->layers->len; i++)
    {
      const CnvDiffLayerRow *row = g_ptr_array_index (diff->layers, i);
      g_autofree char *name = layer_name (row);
      g_autofree char *shape = layer_shape (row);
      g_autofree char *params = layer_params (row);
      const char *color = paint (out, status_color (row->status));
      const char *marker = status_marker (row->status);
      g_autofree char *name_column = pad (name, 32);
      g_autofree char *shape_column = pad (shape, 28);

      if (cnv_diff_layer_row_is_reshaped (row))
        {
          color = paint (out, status_color (CNV_DIFF_CHANGED));
          marker = status_marker (CNV_DIFF_CHANGED);
        }
      printf ("%s%s %s %s %12s%s\n", color, marker, name_column,
              shape_column, params, paint (out, RESET));
      if (cnv_diff_layer_row_is_reshaped (row))
        printf ("%s    %s%s\n", color,
                _("same settings; what it receives changed above it"),
                paint (out, RESET));
      if (row->status == CNV_DIFF_MOVED)
        {
          /* Translators: positions in the two stacks, from 1. */
          g_autofree char *moved = g_strdup_printf (_("moved from position "
                                                      "%d to %d"),
                                                    row->a_index + 1,
                                                    row->b_index + 1);

          printf ("%s    %s%s\n", color, moved, paint (out, RESET));
        }
      for (guint f = 0; f < row->fields->len; f++)
        {
          const CnvDiffField *field = g_ptr_array_index (row->fields, f);
          g_autofree char *change = NULL;

          /* The id is in the row's name already. */
          if (g_str_equal (field->field, "id"))
            continue;
          change = cnv_diff_field_format_change (field);
          printf ("%s    %s: %s%s\n", paint (out, YELLOW), field->title,
                  change, paint (out, RESET));
        }
    }
}

/* A tensor row worth a line: anything but a loadable tensor, and a
 * loadable one whose values moved. */
static gboolean
tensor_row_shown (const CnvDiffTensorRow *row)
{
  return row->status != CNV_TENSOR_LOADABLE
         || (isfinite (row->relative_l2) && row->relative_l2 > 0.0);
}

static void
print_tensors (const Out     *out,
               const CnvDiff *diff)
{
  gboolean any = FALSE;

  for (guint i = 0; i < diff->tensors->len; i++)
    any = any || tensor_row_shown (g_ptr_array_index (diff->tensors, i));
  if (!any)
    return;

  printf ("\n%s%s%s\n", paint (out, BOLD), _("Tensors"), paint (out, RESET));

  for (guint i = 0; i < diff->tensors->len; i++)
    {
      const CnvDiffTensorRow *row = g_ptr_array_index (diff->tensors, i);
      g_autofree char *a = row->a != NULL ? cnv_record_tensor_shape_string (row->a) : NULL;
      g_autofree char *b = row->b != NULL ? cnv_record_tensor_shape_string (row->b) : NULL;
      g_autofree char *name = pad (row->name, 32);
      g_autofree char *change = NULL;

      if (!tensor_row_shown (row))
        continue;

      switch (row->status)
        {
        case CNV_TENSOR_LOADABLE:
          change = cnv_diff_tensor_change_text (row);
          printf ("  %s %-20s %s\n", name, a, change);
          break;
        case CNV_TENSOR_SHAPE_MISMATCH:
          printf ("%s~ %s %s → %s  %s%s\n", paint (out, YELLOW), name, a, b,
                  _("shape mismatch"), paint (out, RESET));
          break;
        case CNV_TENSOR_MISSING:
          printf ("%s- %s %s  %s%s\n", paint (out, RED), name, a,
                  _("missing"), paint (out, RESET));
          break;
        case CNV_TENSOR_UNEXPECTED:
        default:
          printf ("%s+ %s %s  %s%s\n", paint (out, GREEN), name, b,
                  _("unexpected"), paint (out, RESET));
          break;
        }
    }
}

static void
print_notices (const CnvModelRecord *record)
{
  for (guint i = 0; i < record->notices->len; i++)
    printf (_("  note: %s: %s\n"), record->label,
            (const char *) g_ptr_array_index (record->notices, i));
  if (!record->runnable)
    printf (_("  cannot run: %s: %s\n"), record->label, record->run_problem);
}

static void
print_text (const Out     *out,
            const CnvDiff *diff)
{
  g_autofree char *summary = cnv_diff_get_summary (diff);

  printf ("%s--- %s%s\n", paint (out, RED), diff->a->label,
          paint (out, RESET));
  printf ("%s+++ %s%s\n", paint (out, GREEN), diff->b->label,
          paint (out, RESET));
  printf ("%s%s%s\n", paint (out, BOLD), summary, paint (out, RESET));
  print_notices (diff->a);
  print_notices (diff->b);

  print_section (out, _("Input"), diff->input);
  print_layers (out, diff);
  print_tensors (out, diff);
  for (guint i = 0; i < diff->mappings->len; i++)
    {
      const CnvDiffIdMapping *mapping = g_ptr_array_index (diff->mappings, i);

      printf (_("  proposed renaming: %s in B is %s in A (same type, "
                "place and shapes)\n"), mapping->b_id, mapping->a_id);
    }
  print_section (out, _("Preprocessing"), diff->preprocessing);
  print_section (out, _("Classes"), diff->classes);
  if (diff->classes_explanation != NULL)
    printf ("  %s\n", diff->classes_explanation);
  print_section (out, _("Training"), diff->training);
}

static int
run_diff (const DiffOptions *opts,
          const char        *path_a,
          const char        *path_b)
{
  g_autoptr(CnvModelRecord) a = NULL;
  g_autoptr(CnvModelRecord) b = NULL;
  g_autoptr(CnvDiff) diff = NULL;
  g_autoptr(GError) error = NULL;
  Out out = { FALSE };

  a = cnv_model_record_load (path_a, &error);
  if (a == NULL)
    {
      cnv_cli_print_record_error (path_a, error);
      return CNV_CLI_EXIT_UNREADABLE;
    }
  b = cnv_model_record_load (path_b, &error);
  if (b == NULL)
    {
      cnv_cli_print_record_error (path_b, error);
      return CNV_CLI_EXIT_UNREADABLE;
    }

  diff = cnv_diff_new (a, b);
  if (opts->json)
    {
      g_autoptr(JsonNode) node = cnv_diff_to_json_node (diff);

      cnv_cli_print_json (node);
    }
  else
    {
      out.color = g_strcmp0 (opts->color, "always") == 0
                  || (g_strcmp0 (opts->color, "never") != 0
                      && isatty (STDOUT_FILENO)
                      && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0
                      && g_getenv ("NO_COLOR") == NULL);
      print_text (&out, diff);
    }

  return cnv_diff_is_empty (diff) ? CNV_CLI_EXIT_OK : CNV_CLI_EXIT_FAILURE;
}

int
cnv_cli_diff (int    argc,
              char **argv)
{
  DiffOptions opts = { FALSE, NULL };
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opts.json,
      N_("Print a JSON document instead of text"), NULL },
    { "color", 0, 0, G_OPTION_ARG_STRING, &opts.color,
      N_("Colour the text: auto (on a terminal, the default), always or "
         "never"), N_("WHEN") },
    { NULL }
  };
  const char * const required[] = { N_("A"), N_("B"), NULL };
  g_autoptr(GOptionContext) context = NULL;
  int status;

  context = g_option_context_new (_("A B — what differs between two "
                                    "checkpoints or model descriptions"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_description (context,
    _("A and B are .convolve checkpoints or JSON model descriptions, told "
      "apart by their content.  Layers are matched by id, then by type and "
      "order; tensors by name and shape; preprocessing, classes and "
      "training settings field by field.  Rows start with “~” (changed), "
      "“+” (only in B), “-” (only in A) or “>” (moved).\n\n"
      "Exit status: 0 when A and B do not differ, 1 when they do, 2 when a "
      "file cannot be read or the arguments are wrong.  The summary and the "
      "notices of --json are in the language of the messages; everything "
      "else in it is fixed words and numbers."));

  if (!cnv_cli_parse_options (context, "diff", &argc, &argv))
    {
      g_free (opts.color);
      return CNV_CLI_EXIT_USAGE;
    }

  if (opts.color != NULL && !g_str_equal (opts.color, "auto")
      && !g_str_equal (opts.color, "always")
      && !g_str_equal (opts.color, "never"))
    {
      g_free (opts.color);
      return cnv_cli_usage_error ("diff", _("--color must be auto, always or "
                                            "never"));
    }

  status = cnv_cli_check_arguments ("diff", argc, argv, required, FALSE, 0);
  if (status == CNV_CLI_EXIT_OK)
    status = run_diff (&opts, argv[1], argv[2]);

  g_free (opts.color);

  return status;
}
