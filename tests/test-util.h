/* test-util.h — helpers every test suite was writing for itself
 *
 * Temporary folders that remove themselves, a tree removal that never
 * follows a symbolic link out of the folder, JSON parsing that fails the
 * test instead of returning NULL, and a model from its description.  Header-only, like
 * test-images-common.h, so any tests/test-<unit>.c can include it without
 * a change to tests/meson.build.
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "cnv.h"

/* Removes path and everything below it.  A symbolic link is removed, never
 * followed; a folder made read-only by a test is made writable first.
 * Returns TRUE when nothing is left. */
static G_GNUC_UNUSED gboolean
test_remove_tree (const char *path)
{
  gboolean ok = TRUE;

  if (g_file_test (path, G_FILE_TEST_IS_DIR)
      && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = NULL;
      const char *name;

      g_chmod (path, 0700);
      dir = g_dir_open (path, 0, NULL);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          ok = test_remove_tree (child) && ok;
        }

      return g_rmdir (path) == 0 && ok;
    }

  return g_remove (path) == 0;
}

/* A folder under the system's temporary folder, removed with everything
 * in it when the TestTmpDir is freed (g_autoptr (TestTmpDir)). */
typedef struct
{
  char *dir;
} TestTmpDir;

static G_GNUC_UNUSED void
test_tmp_dir_free (TestTmpDir *tmp)
{
  test_remove_tree (tmp->dir);
  g_free (tmp->dir);
  g_free (tmp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestTmpDir, test_tmp_dir_free)

/* tmpl as for g_dir_make_tmp (): "test-checkpoint-XXXXXX". */
static G_GNUC_UNUSED TestTmpDir *
test_tmp_dir_new (const char *tmpl)
{
  TestTmpDir *tmp = g_new0 (TestTmpDir, 1);
  g_autoptr(GError) error = NULL;

  tmp->dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);

  return tmp;
}

/* (transfer full): name inside the temporary folder. */
static G_GNUC_UNUSED char *
test_tmp_path (const TestTmpDir *tmp,
               const char       *name)
{
  return g_build_filename (tmp->dir, name, NULL);
}

/* (transfer full): text parsed by json-glib, which must succeed.  The
 * parser is json-glib's own, not the engine's, so a test can read what
 * the engine wrote without trusting the engine's reader. */
static G_GNUC_UNUSED JsonNode *
test_parse_json (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);

  return node;
}

/* (transfer full): the model json describes, which must be valid. */
static G_GNUC_UNUSED CnvModel *
test_model_new_from_json (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CnvModelSpec) spec = NULL;
  CnvModel *model;

  spec = cnv_model_spec_new_from_json (json, -1, &error);
  g_assert_no_error (error);
  model = cnv_model_new (spec, &error);
  g_assert_no_error (error);

  return model;
}
