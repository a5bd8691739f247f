/* cnv-dataset.c — a folder of two class subfolders, decoded into memory
 *
 * The folder is listed first, completely and in a fixed order: class
 * folders by name, files in each by name, all compared byte by byte
 * (g_strcmp0 on the UTF-8 names as they are on disk).  Byte order is not
 * what a person would call alphabetical — `Dogs` comes before `cats`, `10`
 * before `9` — but it is the same on every machine and in every locale,
 * which is what a class index stored in a checkpoint needs.
 *
 * Decoding is then a flat list of independent jobs: each worker thread
 * takes the next index and writes that image into its own slot, so the
 * result does not depend on the number of threads or on who finished
 * first.  Files that cannot be used keep their reason; a pass in list
 * order compacts the good images and gathers the skipped ones.
 */
#define G_LOG_DOMAIN "cnv-dataset"

#include "cnv-config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "cnv-dataset.h"
#include "cnv-dataset-private.h"
#include "cnv-image-private.h"
#include "cnv-model.h"
#include "cnv-rng.h"

/* The split's random stream: fixed forever, since a checkpoint records
 * only the seed and the same seed must give the same split. */
#define SPLIT_STREAM G_GUINT64_CONSTANT (0x53504c4954)  /* "SPLIT" */

G_DEFINE_QUARK (cnv-dataset-error-quark, cnv_dataset_error)

typedef struct
{
  char   *path;      /* on disk */
  char   *relative;  /* "class/file", '/' on every system */
  guint8  label;
  goffset size;
  char   *reason;    /* set when the image could not be used */
} Entry;

static void
entry_clear (Entry *entry)
{
  g_free (entry->path);
  g_free (entry->relative);
  g_free (entry->reason);
}

static void
skipped_file_free (CnvSkippedFile *skipped)
{
  g_free (skipped->path);
  g_free (skipped->reason);
  g_free (skipped);
}

static void
add_skipped (GPtrArray  *skipped,
             const char *path,
             char       *reason)
{
  CnvSkippedFile *file = g_new0 (CnvSkippedFile, 1);

  file->path = g_strdup (path);
  file->reason = reason;
  g_ptr_array_add (skipped, file);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (((const Entry *) a)->relative,
                    ((const Entry *) b)->relative);
}

static int
compare_skipped (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 ((*(CnvSkippedFile * const *) a)->path,
                    (*(CnvSkippedFile * const *) b)->path);
}

static gboolean
is_hidden (const char *name)
{
  return name[0] == '.';
}

/* The visible names in folder, sorted; NULL with error when it cannot be
 * read. */
static GPtrArray *
list_names (const char  *folder,
            GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GError) local_error = NULL;
  GPtrArray *names;
  const char *name;

  dir = g_dir_open (folder, 0, &local_error);
  if (dir == NULL)
    {
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER,
                   _("Cannot read the folder “%s”: %s."), display,
                   local_error->message);
      return NULL;
    }

  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!is_hidden (name))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  return names;
}

char **
cnv_dataset_list_class_folders (const char *folder)
{
  g_autoptr(GPtrArray) names = NULL;
  GPtrArray *folders = g_ptr_array_new ();

  g_return_val_if_fail (folder != NULL, NULL);

  names = list_names (folder, NULL);
  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i],
                                                NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (folders, g_strdup (names->pdata[i]));
    }
  g_ptr_array_add (folders, NULL);

  return (char **) g_ptr_array_free (folders, FALSE);
}

static char *
join_display_names (GPtrArray *names)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *display = g_filename_display_name (names->pdata[i]);

      if (i > 0)
        g_string_append (text, ", ");
      g_string_append (text, display);
    }

  return g_string_free (text, FALSE);
}

/* Whether folder holds files and no folders: what a class folder is. */
static gboolean
is_leaf_with_files (const char *folder)
{
  g_autoptr(GPtrArray) names = list_names (folder, NULL);
  gboolean has_files = FALSE;

  for (guint i = 0; names != NULL && i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i],
                                                NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        return FALSE;
      has_files = TRUE;
    }

  return has_files;
}

/* The parent of folder when folder is one of two class folders there,
 * chosen instead of the dataset: both hold files and no folders.  NULL
 * otherwise. */
static char *
one_class_parent (const char *folder)
{
  g_autofree char *canonical = g_canonicalize_filename (folder, NULL);
  g_autofree char *parent = g_path_get_dirname (canonical);
  g_autofree char *name = g_path_get_basename (canonical);
  g_auto(GStrv) siblings = NULL;

  if (g_str_equal (parent, canonical))
    return NULL;

  siblings = cnv_dataset_list_class_folders (parent);
  if (g_strv_length (siblings) != 2
      || !g_strv_contains ((const char * const *) siblings, name))
    return NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *sibling = g_build_filename (parent, siblings[i], NULL);

      if (!is_leaf_with_files (sibling))
        return NULL;
    }

  return g_steal_pointer (&parent);
}

/* TRUE when folder holds at least one file whose name says it is an
 * image. */
static gboolean
holds_images (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *type = NULL;

      if (name[0] == '.')
        continue;

      type = g_content_type_guess (name, NULL, 0, NULL);
      if (g_str_has_prefix (type, "image/"))
        return TRUE;
    }

  return FALSE;
}

/* TRUE when folder looks like a dataset: exactly two subfolders, each
 * holding images, and no image beside them. */
static gboolean
looks_like_dataset (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;
  guint n_classes = 0;

  if (dir == NULL || holds_images (folder))
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (name[0] == '.')
        continue;

      path = g_build_filename (folder, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_DIR))
        continue;
      if (!holds_images (path))
        return FALSE;
      n_classes++;
    }

  return n_classes == 2;
}

char *
cnv_dataset_find_nested (const char *folder)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_return_val_if_fail (folder != NULL, NULL);

  dir = g_dir_open (folder, 0, NULL);
  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder,
                                                g_ptr_array_index (names, i),
                                                NULL);

      if (looks_like_dataset (path))
        return g_steal_pointer (&path);
    }

  return NULL;
}

char *
cnv_dataset_suggest_folder (const char *folder)
{
  char *nested;

  g_return_val_if_fail (folder != NULL, NULL);

  nested = cnv_dataset_find_nested (folder);
  if (nested != NULL)
    return nested;

  return one_class_parent (folder);
}

/* Picks the two class folders among the subfolders of folder. */
static gboolean
choose_classes (const char         *folder,
                GPtrArray          *subfolders,
                const char * const *class_names,
                char               *chosen[2],
                GPtrArray          *skipped,
                GError            **error)
{
  g_autofree char *display = g_filename_display_name (folder);

  /* One class folder chosen for the dataset, with or without the
   * model's classes to find in it. */
  if (subfolders->len == 0)
    {
      g_autofree char *parent = one_class_parent (folder);

      if (parent != NULL)
        {
          g_autofree char *parent_display = g_filename_display_name (parent);

          g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT,
                       _("The folder “%s” has no subfolders: it is one of "
                         "the two class folders of “%s”. Choose “%s” "
                         "instead."), display, parent_display,
                       parent_display);
          return FALSE;
        }
    }

  if (class_names == NULL)
    {
      g_autofree char *list = NULL;

      if (subfolders->len == 2)
        {
          chosen[0] = g_strdup (subfolders->pdata[0]);
          chosen[1] = g_strdup (subfolders->pdata[1]);
          return TRUE;
        }

      if (subfolders->len == 0)
        {
          g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT,
                       _("The folder “%s” has no subfolders; a dataset "
                         "needs exactly two, one per class."), display);
          return FALSE;
        }

      list = join_display_names (subfolders);
      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The folder “%s” has %u subfolder: %s; a "
                                "dataset needs exactly two, one per class.",
                                "The folder “%s” has %u subfolders: %s; a "
                                "dataset needs exactly two, one per class.",
                                subfolders->len),
                   display, subfolders->len, list);
      return FALSE;
    }

  /* The mapping stored with a model wins over the folder order. */
  for (int c = 0; c < 2; c++)
    {
      if (!g_ptr_array_find_with_equal_func (subfolders, class_names[c],
                                             g_str_equal, NULL))
        {
          g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_LAYOUT,
                       _("The folder “%s” has no subfolder “%s” for the "
                         "model’s class %d."), display, class_names[c], c);
          return FALSE;
        }
      chosen[c] = g_strdup (class_names[c]);
    }

  for (guint i = 0; i < subfolders->len; i++)
    {
      const char *name = subfolders->pdata[i];
      g_autofree char *path = NULL;

      if (g_str_equal (name, chosen[0]) || g_str_equal (name, chosen[1]))
        continue;
      path = g_build_filename (folder, name, NULL);
      add_skipped (skipped, path,
                   g_strdup_printf (_("not one of the model’s classes "
                                      "(%s, %s)"), chosen[0], chosen[1]));
    }

  return TRUE;
}

/* Lists the files of one class folder into entries. */
static gboolean
list_class (const char  *folder,
            const char  *class_folder,
            guint8       label,
            GArray      *entries,
            GPtrArray   *skipped,
            GError     **error)
{
  g_autofree char *class_path = g_build_filename (folder, class_folder, NULL);
  g_autoptr(GPtrArray) names = list_names (class_path, error);

  if (names == NULL)
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *path = g_build_filename (class_path, name, NULL);
      Entry entry = { NULL, NULL, label, 0, NULL };
      GStatBuf info;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          g_autofree char *display = g_filename_display_name (class_folder);

          add_skipped (skipped, path,
                       g_strdup_printf (_("a folder inside the class folder "
                                          "“%s”; only the files directly in "
                                          "it are used"), display));
          continue;
        }

      if (g_stat (path, &info) == 0)
        entry.size = info.st_size;
      entry.path = g_steal_pointer (&path);
      entry.relative = g_strconcat (class_folder, "/", name, NULL);
      g_array_append_val (entries, entry);
    }

  return TRUE;
}

/* SHA-256 over "relative path\0size\n" for every file, in order. */
static char *
fingerprint (GArray *entries)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *entry = &g_array_index (entries, Entry, i);
      char size[32];

      g_snprintf (size, sizeof size, "%" G_GINT64_FORMAT "\n",
                  (gint64) entry->size);
      g_checksum_update (checksum, (const guchar *) entry->relative,
                         strlen (entry->relative) + 1);
      g_checksum_update (checksum, (const guchar *) size, strlen (size));
    }

  return g_strdup (g_checksum_get_string (checksum));
}

typedef struct
{
  Entry                  *entries;
  guint                   n_entries;
  const CnvPreprocessing *pp;
  guint8                 *pixels;      /* n_entries slots of image_size */
  gsize                   image_size;
  GCancellable           *cancellable;

  int                     next;        /* atomic: the next index to take */

  GMutex                  mutex;       /* guards the two below */
  GCond                   cond;
  guint                   done;
  guint                   running;
} Work;

static gpointer
decode_worker (gpointer data)
{
  Work *work = data;

  for (;;)
    {
      g_autoptr(CnvImage) image = NULL;
      Entry *entry;
      guint index;

      if (g_cancellable_is_cancelled (work->cancellable))
        break;
      index = (guint) g_atomic_int_add (&work->next, 1);
      if (index >= work->n_entries)
        break;

      entry = &work->entries[index];
      image = cnv_image_load_path (entry->path, work->pp, &entry->reason,
                                   NULL);
      if (image != NULL)
        memcpy (work->pixels + index * work->image_size, image->pixels,
                work->image_size);

      g_mutex_lock (&work->mutex);
      work->done++;
      g_cond_signal (&work->cond);
      g_mutex_unlock (&work->mutex);
    }

  g_mutex_lock (&work->mutex);
  work->running--;
  g_cond_signal (&work->cond);
  g_mutex_unlock (&work->mutex);

  return NULL;
}

/* Decodes every entry into its slot with up to cnv_get_threads () workers.
 * Progress is reported from the calling thread, always ending with the
 * final count. */
static void
decode_all (Work                   *work,
            CnvDatasetProgressFunc  progress,
            gpointer                user_data)
{
  g_autoptr(GPtrArray) threads = g_ptr_array_new ();
  guint n_threads = (guint) MAX (1, cnv_get_threads ());
  /* About 250 reports for a large folder, one per file for a small one. */
  guint step = MAX (work->n_entries / 250, 1);
  guint reported = 0;

  n_threads = MIN (n_threads, MAX (work->n_entries, 1));
  work->running = n_threads;
  for (guint t = 0; t < n_threads; t++)
    g_ptr_array_add (threads, g_thread_new ("cnv-dataset", decode_worker,
                                            work));

  /* The workers may all have finished before this loop first looks, so
   * the test for the end comes after the report, never before it: the
   * final count is always reported. */
  g_mutex_lock (&work->mutex);
  for (;;)
    {
      gboolean finished;
      guint done;

      while (work->done - reported < step && work->running > 0)
        g_cond_wait (&work->cond, &work->mutex);
      done = work->done;
      finished = work->running == 0;

      if (done != reported && progress != NULL)
        {
          g_mutex_unlock (&work->mutex);
          progress (done, work->n_entries, user_data);
          g_mutex_lock (&work->mutex);
        }
      reported = done;
      if (finished)
        break;
    }
  g_mutex_unlock (&work->mutex);

  for (guint t = 0; t < threads->len; t++)
    g_thread_join (threads->pdata[t]);
}

/* Moves the good images to the front, in list order, and lists the
 * others. */
static void
gather (CnvDataset *dataset,
        Work       *work)
{
  guint kept = 0;

  dataset->labels = g_new0 (guint8, MAX (work->n_entries, 1));
  dataset->paths = g_new0 (char *, work->n_entries + 1);

  for (guint i = 0; i < work->n_entries; i++)
    {
      Entry *entry = &work->entries[i];

      if (entry->reason != NULL)
        {
          add_skipped (dataset->skipped, entry->path,
                       g_steal_pointer (&entry->reason));
          dataset->skipped_counts[entry->label]++;
          continue;
        }

      /* kept <= i, so this never overwrites a slot still to be read. */
      if (kept != i)
        memmove (work->pixels + kept * work->image_size,
                 work->pixels + i * work->image_size, work->image_size);
      dataset->labels[kept] = entry->label;
      dataset->paths[kept] = g_strdup (entry->path);
      dataset->class_counts[entry->label]++;
      kept++;
    }

  dataset->n_images = kept;
  dataset->pixels = g_realloc (g_steal_pointer (&work->pixels),
                               MAX (kept * work->image_size, 1));
}

static gboolean
check_class_counts (const CnvDataset  *dataset,
                    GError           **error)
{
  for (int c = 0; c < 2; c++)
    {
      g_autofree char *path = NULL;
      g_autofree char *display = NULL;

      if (dataset->class_counts[c] > 0)
        continue;

      path = g_build_filename (dataset->folder, dataset->class_names[c], NULL);
      display = g_filename_display_name (path);
      if (dataset->skipped_counts[c] == 0)
        g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_EMPTY_CLASS,
                     _("The class folder “%s” has no files; each class needs "
                       "at least one image."), display);
      else
        g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_EMPTY_CLASS,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "The class folder “%s” has no usable image: "
                                  "its %u file could not be read as an "
                                  "image.",
                                  "The class folder “%s” has no usable image: "
                                  "none of its %u files could be read as an "
                                  "image.",
                                  dataset->skipped_counts[c]),
                     display, dataset->skipped_counts[c]);
      return FALSE;
    }

  return TRUE;
}

/* Step 1: the top level — class folders, and what is not one. */
static gboolean
find_classes (const char          *folder,
              const char * const  *class_names,
              CnvDataset          *dataset,
              GError             **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GPtrArray) subfolders = NULL;

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER,
                   _("The dataset folder “%s” does not exist or is not a "
                     "folder."), display);
      return FALSE;
    }
  names = list_names (folder, error);
  if (names == NULL)
    return FALSE;

  subfolders = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_ptr_array_add (subfolders, g_strdup (names->pdata[i]));
      else
        add_skipped (dataset->skipped, path,
                     g_strdup (_("not a class folder; a dataset has one "
                                 "subfolder per class")));
    }

  return choose_classes (folder, subfolders, class_names,
                         dataset->class_names, dataset->skipped, error);
}

/* Step 2: the files of each class, in one sorted list; a class without a
 * single file fails now, before any decoding. */
static GArray *
list_entries (const char  *folder,
              CnvDataset  *dataset,
              GError     **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));

  g_array_set_clear_func (entries, (GDestroyNotify) entry_clear);
  for (int c = 0; c < 2; c++)
    if (!list_class (folder, dataset->class_names[c], (guint8) c, entries,
                     dataset->skipped, error))
      return NULL;
  g_array_sort (entries, compare_entries);
  dataset->fingerprint = fingerprint (entries);

  for (guint i = 0; i < entries->len; i++)
    dataset->class_counts[g_array_index (entries, Entry, i).label]++;
  if (!check_class_counts (dataset, error))
    return NULL;
  dataset->class_counts[0] = dataset->class_counts[1] = 0;

  return g_steal_pointer (&entries);
}

/* Step 3: decode in parallel, each image into its own slot of
 * work->pixels, which the caller owns afterwards.  work holds the entries,
 * the preprocessing and the cancellable. */
static gboolean
decode_entries (const char              *folder,
                Work                    *work,
                CnvDatasetProgressFunc   progress,
                gpointer                 user_data,
                GError                 **error)
{
  const CnvPreprocessing *pp = work->pp;

  work->pixels = g_try_malloc_n (MAX (work->n_entries, 1), work->image_size);
  if (work->pixels == NULL)
    {
      g_autofree char *display = g_filename_display_name (folder);

      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER,
                   _("There is not enough memory to load the %u images of "
                     "“%s” at %d × %d."), work->n_entries, display,
                   pp->width, pp->height);
      return FALSE;
    }

  g_mutex_init (&work->mutex);
  g_cond_init (&work->cond);
  decode_all (work, progress, user_data);
  g_mutex_clear (&work->mutex);
  g_cond_clear (&work->cond);

  if (g_cancellable_is_cancelled (work->cancellable))
    {
      g_clear_pointer (&work->pixels, g_free);
      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_CANCELLED,
                   _("Loading the dataset was cancelled."));
      return FALSE;
    }

  return TRUE;
}

CnvDataset *
cnv_dataset_load (const char             *folder,
                  const CnvPreprocessing *pp,
                  const char * const     *class_names,
                  GCancellable           *cancellable,
                  CnvDatasetProgressFunc  progress,
                  gpointer                user_data,
                  GError                **error)
{
  g_autoptr(CnvDataset) dataset = NULL;
  g_autoptr(GArray) entries = NULL;
  Work work = { 0 };

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (pp != NULL, NULL);
  g_return_val_if_fail (class_names == NULL
                        || (class_names[0] != NULL && class_names[1] != NULL
                            && g_strcmp0 (class_names[0],
                                          class_names[1]) != 0), NULL);

  dataset = g_new0 (CnvDataset, 1);
  dataset->folder = g_strdup (folder);
  dataset->width = pp->width;
  dataset->height = pp->height;
  dataset->channels = cnv_preprocessing_get_channels (pp);
  dataset->skipped = g_ptr_array_new_with_free_func (
                       (GDestroyNotify) skipped_file_free);

  if (!find_classes (folder, class_names, dataset, error))
    return NULL;
  entries = list_entries (folder, dataset, error);
  if (entries == NULL)
    return NULL;
  work.entries = (Entry *) (void *) entries->data;
  work.n_entries = entries->len;
  work.pp = pp;
  work.image_size = (gsize) pp->width * pp->height * dataset->channels;
  work.cancellable = cancellable;
  if (!decode_entries (folder, &work, progress, user_data, error))
    return NULL;

  /* Step 4: keep the good images in order and list the others. */
  gather (dataset, &work);
  g_ptr_array_sort (dataset->skipped, compare_skipped);
  if (!check_class_counts (dataset, error))
    return NULL;

  return g_steal_pointer (&dataset);
}

void
cnv_dataset_free (CnvDataset *dataset)
{
  if (dataset == NULL)
    return;

  g_free (dataset->folder);
  g_free (dataset->class_names[0]);
  g_free (dataset->class_names[1]);
  g_free (dataset->pixels);
  g_free (dataset->labels);
  g_strfreev (dataset->paths);
  g_clear_pointer (&dataset->skipped, g_ptr_array_unref);
  g_free (dataset->fingerprint);
  g_free (dataset);
}

const guint8 *
cnv_dataset_get_pixels (const CnvDataset *dataset,
                        guint             index)
{
  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (index < dataset->n_images, NULL);

  return dataset->pixels
         + (gsize) index * dataset->width * dataset->height
           * dataset->channels;
}

static int
compare_uints (gconstpointer a,
               gconstpointer b)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return (x > y) - (x < y);
}

void
cnv_split_labels (const guint8  *labels,
                  guint          n_images,
                  double         val_fraction,
                  guint64        seed,
                  GArray       **train,
                  GArray       **validation)
{
  val_fraction = CLAMP (val_fraction, 0.0, 1.0);
  *train = g_array_new (FALSE, FALSE, sizeof (guint));
  *validation = g_array_new (FALSE, FALSE, sizeof (guint));

  /* Each class is shuffled on its own stream, so one class's split does
   * not depend on the other's size. */
  for (guint c = 0; c < 2; c++)
    {
      g_autofree guint *indices = g_new (guint, MAX (n_images, 1));
      guint count = 0;
      guint n_val;
      CnvRng rng;

      for (guint i = 0; i < n_images; i++)
        if (labels[i] == c)
          indices[count++] = i;

      cnv_rng_init_stream (&rng, seed, SPLIT_STREAM + c);
      cnv_rng_shuffle (&rng, indices, count);

      n_val = (guint) round (count * val_fraction);
      g_array_append_vals (*validation, indices, n_val);
      g_array_append_vals (*train, indices + n_val, count - n_val);
    }

  g_array_sort (*train, compare_uints);
  g_array_sort (*validation, compare_uints);
}

void
cnv_dataset_split (const CnvDataset  *dataset,
                   double             val_fraction,
                   guint64            seed,
                   GArray           **train,
                   GArray           **validation)
{
  g_return_if_fail (dataset != NULL);
  g_return_if_fail (train != NULL && validation != NULL);

  cnv_split_labels (dataset->labels, dataset->n_images, val_fraction, seed,
                    train, validation);
}

static const char * const image_extensions[] = {
  "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp", "ico", "ppm",
  "pgm", NULL
};

static gboolean
has_image_extension (const char *name)
{
  const char *dot = strrchr (name, '.');
  g_autofree char *extension = NULL;

  if (dot == NULL)
    return FALSE;
  extension = g_ascii_strdown (dot + 1, -1);

  return g_strv_contains (image_extensions, extension);
}

/* Depth first, each folder's names sorted; symbolic links to folders are
 * not followed, so a link loop cannot make the walk endless. */
static gboolean
walk (const char  *folder,
      GPtrArray   *files,
      GError     **error)
{
  g_autoptr(GPtrArray) names = list_names (folder, error);

  if (names == NULL)
    return FALSE;

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, names->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK)
              && !walk (path, files, error))
            return FALSE;
        }
      else if (has_image_extension (names->pdata[i]))
        {
          g_ptr_array_add (files, g_steal_pointer (&path));
        }
    }

  return TRUE;
}

GPtrArray *
cnv_list_image_files (const char  *path,
                      GError     **error)
{
  g_autoptr(GPtrArray) files = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  files = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_FOLDER,
                   _("“%s” does not exist."), display);
      return NULL;
    }

  /* A file named explicitly is used whatever its extension. */
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_ptr_array_add (files, g_strdup (path));
      return g_steal_pointer (&files);
    }

  if (!walk (path, files, error))
    return NULL;

  return g_steal_pointer (&files);
}
