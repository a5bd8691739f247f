/* cnv-dataset-report.c — what a loaded folder holds, before anything trains
 *
 * One pass reads every image's bytes again (mapped, not copied): their
 * SHA-256 and the few header bytes that say how the file stores its
 * pixels — size, colour kind, format — which the decoder no longer tells
 * once it has turned everything into RGB.  Images with the same hash are
 * gathered into duplicate sets once; the split groups are then only a
 * question of which members of each set fall on which side, so a new
 * validation share or seed costs a shuffle of the labels and one pass over
 * the sets.
 */
#define G_LOG_DOMAIN "cnv-dataset-report"

#include "cnv-config.h"

#include <math.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n-lib.h>

#include "cnv-dataset-report.h"
#include "cnv-dataset-private.h"

const char *
cnv_color_kind_to_string (CnvColorKind kind)
{
  switch (kind)
    {
    case CNV_COLOR_KIND_GREY:
      return _("Greyscale");
    case CNV_COLOR_KIND_GREY_ALPHA:
      return _("Greyscale with alpha");
    case CNV_COLOR_KIND_RGB:
      return _("RGB");
    case CNV_COLOR_KIND_RGBA:
      return _("RGB with alpha");
    case CNV_COLOR_KIND_PALETTE:
      return _("Palette (indexed)");
    case CNV_COLOR_KIND_CMYK:
      return _("CMYK");
    case CNV_COLOR_KIND_UNKNOWN:
    case CNV_N_COLOR_KINDS:
    default:
      return _("Unknown");
    }
}

/* Headers */

static guint32
be16 (const guint8 *p)
{
  return ((guint32) p[0] << 8) | p[1];
}

static guint32
be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16)
         | ((guint32) p[2] << 8) | p[3];
}

static guint32
le16 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8);
}

static guint32
le24 (const guint8 *p)
{
  return le16 (p) | ((guint32) p[2] << 16);
}

static guint32
le32 (const guint8 *p)
{
  return le16 (p) | (le16 (p + 2) << 16);
}

static int
clamp_side (guint64 side)
{
  return (int) MIN (side, (guint64) G_MAXINT);
}

/* IHDR is the first chunk: width, height, bit depth, colour type. */
static void
read_png (const guint8     *data,
          gsize             size,
          CnvImageFileInfo *info)
{
  info->format = "PNG";
  if (size < 26 || memcmp (data + 12, "IHDR", 4) != 0)
    return;

  info->width = clamp_side (be32 (data + 16));
  info->height = clamp_side (be32 (data + 20));
  switch (data[25])
    {
    case 0:
      info->color_kind = CNV_COLOR_KIND_GREY;
      break;
    case 2:
      info->color_kind = CNV_COLOR_KIND_RGB;
      break;
    case 3:
      info->color_kind = CNV_COLOR_KIND_PALETTE;
      break;
    case 4:
      info->color_kind = CNV_COLOR_KIND_GREY_ALPHA;
      break;
    case 6:
      info->color_kind = CNV_COLOR_KIND_RGBA;
      break;
    default:
      break;
    }
}

static gboolean
is_jpeg_frame_marker (guint8 marker)
{
  /* SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC). */
  return marker >= 0xc0 && marker <= 0xcf
         && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

/* Walks the marker segments up to the first frame header. */
static void
read_jpeg (const guint8     *data,
           gsize             size,
           CnvImageFileInfo *info)
{
  gsize offset = 2;

  info->format = "JPEG";
  while (offset + 4 <= size)
    {
      guint8 marker;
      gsize length;

      if (data[offset] != 0xff)
        return;
      marker = data[offset + 1];
      if (marker == 0xff)
        {
          offset++;   /* fill byte */
          continue;
        }
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8))
        {
          offset += 2;   /* no length */
          continue;
        }
      if (marker == 0xd9 || marker == 0xda)
        return;   /* end of image or scan before any frame */

      length = be16 (data + offset + 2);
      if (is_jpeg_frame_marker (marker) && length >= 8
          && offset + 2 + 8 <= size)
        {
          const guint8 *frame = data + offset + 4;

          info->height = (int) be16 (frame + 1);
          info->width = (int) be16 (frame + 3);
          info->color_kind = frame[5] == 1 ? CNV_COLOR_KIND_GREY
                             : frame[5] == 3 ? CNV_COLOR_KIND_RGB
                             : frame[5] == 4 ? CNV_COLOR_KIND_CMYK
                             : CNV_COLOR_KIND_UNKNOWN;
          return;
        }
      offset += 2 + length;
    }
}

static void
read_gif (const guint8     *data,
          gsize             size,
          CnvImageFileInfo *info)
{
  info->format = "GIF";
  if (size < 10)
    return;

  info->width = (int) le16 (data + 6);
  info->height = (int) le16 (data + 8);
  info->color_kind = CNV_COLOR_KIND_PALETTE;
}

static void
read_bmp (const guint8     *data,
          gsize             size,
          CnvImageFileInfo *info)
{
  guint32 header_size;
  guint32 bits;

  info->format = "BMP";
  if (size < 26)
    return;

  header_size = le32 (data + 14);
  if (header_size == 12)
    {
      info->width = (int) le16 (data + 18);
      info->height = (int) le16 (data + 20);
      bits = le16 (data + 24);
    }
  else if (header_size >= 40 && size >= 34)
    {
      /* Height is negative for rows stored top down. */
      info->width = clamp_side ((guint64) ABS ((gint64) (gint32) le32 (data + 18)));
      info->height = clamp_side ((guint64) ABS ((gint64) (gint32) le32 (data + 22)));
      bits = le16 (data + 28);
    }
  else
    {
      return;
    }

  if (bits <= 8)
    info->color_kind = CNV_COLOR_KIND_PALETTE;
  else if (bits == 32 && header_size >= 56 && size >= 70
           && le32 (data + 66) != 0)
    info->color_kind = CNV_COLOR_KIND_RGBA;   /* an alpha mask */
  else
    info->color_kind = CNV_COLOR_KIND_RGB;
}

/* Skips whitespace and # comments, then reads a decimal number. */
static gboolean
pnm_number (const guint8 *data,
            gsize         size,
            gsize        *offset,
            guint64      *value)
{
  gsize i = *offset;
  gboolean any = FALSE;

  while (i < size && (g_ascii_isspace (data[i]) || data[i] == '#'))
    {
      if (data[i] == '#')
        while (i < size && data[i] != '\n')
          i++;
      else
        i++;
    }

  *value = 0;
  while (i < size && g_ascii_isdigit (data[i]) && *value < G_MAXINT)
    {
      *value = *value * 10 + (data[i] - '0');
      any = TRUE;
      i++;
    }
  *offset = i;

  return any;
}

static void
read_pnm (const guint8     *data,
          gsize             size,
          CnvImageFileInfo *info)
{
  gsize offset = 2;
  guint64 width;
  guint64 height;

  info->format = "PNM";
  if (!pnm_number (data, size, &offset, &width)
      || !pnm_number (data, size, &offset, &height))
    return;

  info->width = clamp_side (width);
  info->height = clamp_side (height);
  info->color_kind = data[1] == '3' || data[1] == '6' ? CNV_COLOR_KIND_RGB
                                                       : CNV_COLOR_KIND_GREY;
}

/* RIFF "WEBP" with one of three first chunks: VP8X (extended, with an
 * alpha flag), VP8L (lossless) or VP8 (lossy, no alpha). */
static void
read_webp (const guint8     *data,
           gsize             size,
           CnvImageFileInfo *info)
{
  info->format = "WebP";
  if (size >= 30 && memcmp (data + 12, "VP8X", 4) == 0)
    {
      info->width = (int) le24 (data + 24) + 1;
      info->height = (int) le24 (data + 27) + 1;
      info->color_kind = (data[20] & 0x10) ? CNV_COLOR_KIND_RGBA
                                           : CNV_COLOR_KIND_RGB;
    }
  else if (size >= 25 && memcmp (data + 12, "VP8L", 4) == 0
           && data[20] == 0x2f)
    {
      guint32 bits = le32 (data + 21);

      info->width = (int) (bits & 0x3fff) + 1;
      info->height = (int) ((bits >> 14) & 0x3fff) + 1;
      info->color_kind = (bits >> 28) & 1 ? CNV_COLOR_KIND_RGBA
                                          : CNV_COLOR_KIND_RGB;
    }
  else if (size >= 30 && memcmp (data + 12, "VP8 ", 4) == 0
           && data[23] == 0x9d && data[24] == 0x01 && data[25] == 0x2a)
    {
      info->width = (int) (le16 (data + 26) & 0x3fff);
      info->height = (int) (le16 (data + 28) & 0x3fff);
      info->color_kind = CNV_COLOR_KIND_RGB;
    }
}

static void
size_prepared_cb (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  CnvImageFileInfo *info = user_data;

  info->width = width;
  info->height = height;
  /* A zero size makes the decoder stop before it allocates pixels. */
  gdk_pixbuf_loader_set_size (loader, 0, 0);
}

/* For the formats read here by name only: gdk-pixbuf says the size
 * before decoding a pixel, and is stopped right there. */
static void
read_size_with_loader (const guint8     *data,
                       gsize             size,
                       CnvImageFileInfo *info)
{
  g_autoptr(GdkPixbufLoader) loader = gdk_pixbuf_loader_new ();
  gsize chunk = 4096;

  g_signal_connect (loader, "size-prepared", G_CALLBACK (size_prepared_cb),
                    info);
  for (gsize offset = 0; offset < size && info->width == 0; offset += chunk)
    if (!gdk_pixbuf_loader_write (loader, data + offset,
                                  MIN (chunk, size - offset), NULL))
      break;
  gdk_pixbuf_loader_close (loader, NULL);
}

gboolean
cnv_image_file_info_read (const guint8     *data,
                          gsize             size,
                          CnvImageFileInfo *info)
{
  static const guint8 png_signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
                                           0x1a, '\n' };

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);

  info->width = info->height = 0;
  info->color_kind = CNV_COLOR_KIND_UNKNOWN;
  info->format = NULL;

  if (size >= 8 && memcmp (data, png_signature, 8) == 0)
    read_png (data, size, info);
  else if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    read_jpeg (data, size, info);
  else if (size >= 6 && (memcmp (data, "GIF87a", 6) == 0
                         || memcmp (data, "GIF89a", 6) == 0))
    read_gif (data, size, info);
  else if (size >= 2 && data[0] == 'B' && data[1] == 'M')
    read_bmp (data, size, info);
  else if (size >= 3 && data[0] == 'P' && data[1] >= '1' && data[1] <= '6'
           && g_ascii_isspace (data[2]))
    read_pnm (data, size, info);
  else if (size >= 16 && memcmp (data, "RIFF", 4) == 0
           && memcmp (data + 8, "WEBP", 4) == 0)
    read_webp (data, size, info);
  else if (size >= 4 && (memcmp (data, "II*\0", 4) == 0
                         || memcmp (data, "MM\0*", 4) == 0))
    info->format = "TIFF";
  else if (size >= 6 && data[0] == 0 && data[1] == 0 && data[2] == 1
           && data[3] == 0)
    info->format = "ICO";

  if (info->format == NULL)
    return FALSE;
  if (info->width == 0 || info->height == 0)
    read_size_with_loader (data, size, info);

  return TRUE;
}

/* Reading the images */

static void
duplicate_group_free (CnvDuplicateGroup *group)
{
  g_free (group->members);
  g_free (group);
}

static void
skipped_file_free (CnvSkippedFile *skipped)
{
  g_free (skipped->path);
  g_free (skipped->reason);
  g_free (skipped);
}

/* Hash and header of one file; FALSE when it cannot be read now. */
static gboolean
read_image_info (const char       *path,
                 CnvImageFileInfo *info)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  const guint8 *data;
  gsize size;

  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL)
    {
      g_debug ("Cannot read “%s” again: %s", path, error->message);
      return FALSE;
    }

  data = (const guint8 *) g_mapped_file_get_contents (mapped);
  size = g_mapped_file_get_length (mapped);
  if (data == NULL || size == 0)
    return FALSE;

  hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size);
  g_strlcpy (info->sha256, hash, sizeof info->sha256);
  if (!cnv_image_file_info_read (data, size, info))
    info->format = "Other";

  return TRUE;
}

static int
compare_sizes (gconstpointer a,
               gconstpointer b)
{
  const CnvSizeCount *x = a;
  const CnvSizeCount *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;
  if (x->width != y->width)
    return x->width < y->width ? -1 : 1;

  return (x->height > y->height) - (x->height < y->height);
}

static int
compare_formats (gconstpointer a,
                 gconstpointer b)
{
  const CnvFormatCount *x = a;
  const CnvFormatCount *y = b;

  if (x->count != y->count)
    return x->count > y->count ? -1 : 1;

  return g_strcmp0 (x->format, y->format);
}

/* Sizes, colour kinds and formats, counted. */
static void
count_kinds (CnvDatasetReport *report)
{
  g_autoptr(GHashTable) sizes = g_hash_table_new (g_int64_hash,
                                                  g_int64_equal);
  g_autoptr(GHashTable) formats = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree gint64 *keys = g_new (gint64, MAX (report->n_images, 1));
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < report->n_images; i++)
    {
      const CnvImageFileInfo *info = &report->images[i];
      guint count;

      if (info->format == NULL)
        continue;   /* not read again */

      report->color_kinds[info->color_kind]++;
      count = GPOINTER_TO_UINT (g_hash_table_lookup (formats, info->format));
      g_hash_table_insert (formats, (gpointer) info->format,
                           GUINT_TO_POINTER (count + 1));

      if (info->width == 0 || info->height == 0)
        continue;
      keys[i] = ((gint64) info->width << 32) | (guint32) info->height;
      count = GPOINTER_TO_UINT (g_hash_table_lookup (sizes, &keys[i]));
      g_hash_table_insert (sizes, &keys[i], GUINT_TO_POINTER (count + 1));
    }

  g_hash_table_iter_init (&iter, sizes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 packed = *(gint64 *) key;
      CnvSizeCount size = { (int) (packed >> 32), (int) (guint32) packed,
                            GPOINTER_TO_UINT (value) };

      g_array_append_val (report->sizes, size);
    }
  g_array_sort (report->sizes, compare_sizes);

  g_hash_table_iter_init (&iter, formats);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CnvFormatCount format = { key, GPOINTER_TO_UINT (value) };

      g_array_append_val (report->formats, format);
    }
  g_array_sort (report->formats, compare_formats);
}

static int
compare_by_hash (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const CnvDatasetReport *report = user_data;
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;
  int order = strcmp (report->images[x].sha256, report->images[y].sha256);

  if (order != 0)
    return order;

  return (x > y) - (x < y);
}

/* Runs of equal hashes, in hash order, become the duplicate sets. */
static void
find_duplicates (CnvDatasetReport *report)
{
  g_autofree guint *order = g_new (guint, MAX (report->n_images, 1));
  guint n = 0;

  for (guint i = 0; i < report->n_images; i++)
    if (report->images[i].sha256[0] != '\0')
      order[n++] = i;
  g_qsort_with_data (order, (gint) n, sizeof (guint), compare_by_hash,
                     report);

  for (guint start = 0, end; start < n; start = end)
    {
      const char *hash = report->images[order[start]].sha256;
      gboolean both_classes = FALSE;
      CnvDuplicateGroup *group;

      for (end = start + 1;
           end < n && strcmp (report->images[order[end]].sha256, hash) == 0;
           end++)
        if (report->labels[order[end]] != report->labels[order[start]])
          both_classes = TRUE;
      if (end - start < 2)
        continue;

      group = g_new0 (CnvDuplicateGroup, 1);
      group->sha256 = hash;
      group->n_members = end - start;
      /* Equal hashes are sorted by index, so members are in order. */
      group->members = g_memdup2 (order + start,
                                  sizeof (guint) * group->n_members);
      g_ptr_array_add (both_classes ? report->across_classes
                                    : report->within_class, group);
    }
}

static void
copy_dataset (CnvDatasetReport *report,
              const CnvDataset *dataset)
{
  report->n_images = dataset->n_images;
  report->images = g_new0 (CnvImageFileInfo, MAX (dataset->n_images, 1));
  report->labels = g_memdup2 (dataset->labels, MAX (dataset->n_images, 1));
  report->paths = g_strdupv (dataset->paths);
  report->in_validation = g_new0 (guint8, MAX (dataset->n_images, 1));

  for (guint c = 0; c < 2; c++)
    {
      report->class_names[c] = g_strdup (dataset->class_names[c]);
      report->class_counts[c] = dataset->class_counts[c];
    }
  report->imbalance_ratio =
    (double) MAX (report->class_counts[0], report->class_counts[1])
    / MAX (1, MIN (report->class_counts[0], report->class_counts[1]));

  for (guint i = 0; dataset->skipped != NULL && i < dataset->skipped->len; i++)
    {
      const CnvSkippedFile *from = g_ptr_array_index (dataset->skipped, i);
      CnvSkippedFile *file = g_new0 (CnvSkippedFile, 1);

      file->path = g_strdup (from->path);
      file->reason = g_strdup (from->reason);
      g_ptr_array_add (report->skipped, file);
    }
}

CnvDatasetReport *
cnv_dataset_report_new (const CnvDataset        *dataset,
                        double                   val_fraction,
                        guint64                  seed,
                        GCancellable            *cancellable,
                        CnvDatasetProgressFunc   progress,
                        gpointer                 user_data,
                        GError                 **error)
{
  g_autoptr(CnvDatasetReport) report = NULL;
  guint step;

  g_return_val_if_fail (dataset != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  report = g_new0 (CnvDatasetReport, 1);
  report->sizes = g_array_new (FALSE, FALSE, sizeof (CnvSizeCount));
  report->formats = g_array_new (FALSE, FALSE, sizeof (CnvFormatCount));
  report->skipped = g_ptr_array_new_with_free_func (
                      (GDestroyNotify) skipped_file_free);
  report->within_class = g_ptr_array_new_with_free_func (
                           (GDestroyNotify) duplicate_group_free);
  report->across_classes = g_ptr_array_new_with_free_func (
                             (GDestroyNotify) duplicate_group_free);
  report->across_split = g_ptr_array_new ();
  copy_dataset (report, dataset);

  /* About 100 reports for a large folder. */
  step = MAX (report->n_images / 100, 1);
  for (guint i = 0; i < report->n_images; i++)
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, CNV_DATASET_ERROR, CNV_DATASET_ERROR_CANCELLED,
                       _("Reading the dataset report was cancelled."));
          return NULL;
        }

      if (!read_image_info (report->paths[i], &report->images[i]))
        report->n_unreadable++;

      if (progress != NULL && ((i + 1) % step == 0 || i + 1 == report->n_images))
        progress (i + 1, report->n_images, user_data);
    }

  count_kinds (report);
  find_duplicates (report);
  cnv_dataset_report_set_split (report, val_fraction, seed);

  return g_steal_pointer (&report);
}

void
cnv_dataset_report_free (CnvDatasetReport *report)
{
  if (report == NULL)
    return;

  g_free (report->images);
  g_free (report->labels);
  g_strfreev (report->paths);
  g_free (report->class_names[0]);
  g_free (report->class_names[1]);
  g_clear_pointer (&report->sizes, g_array_unref);
  g_clear_pointer (&report->formats, g_array_unref);
  g_clear_pointer (&report->skipped, g_ptr_array_unref);
  g_clear_pointer (&report->across_split, g_ptr_array_unref);
  g_clear_pointer (&report->within_class, g_ptr_array_unref);
  g_clear_pointer (&report->across_classes, g_ptr_array_unref);
  g_free (report->in_validation);
  g_free (report);
}

/* A set leaks when it has members on both sides. */
static void
add_if_split (CnvDatasetReport  *report,
              CnvDuplicateGroup *group)
{
  guint n_validation = 0;

  for (guint m = 0; m < group->n_members; m++)
    n_validation += report->in_validation[group->members[m]];

  if (n_validation > 0 && n_validation < group->n_members)
    g_ptr_array_add (report->across_split, group);
}

static int
compare_first_member (gconstpointer a,
                      gconstpointer b)
{
  const CnvDuplicateGroup *x = *(CnvDuplicateGroup * const *) a;
  const CnvDuplicateGroup *y = *(CnvDuplicateGroup * const *) b;

  return (x->members[0] > y->members[0]) - (x->members[0] < y->members[0]);
}

void
cnv_dataset_report_set_split (CnvDatasetReport *report,
                              double            val_fraction,
                              guint64           seed)
{
  g_autoptr(GArray) train = NULL;
  g_autoptr(GArray) validation = NULL;

  g_return_if_fail (report != NULL);

  report->val_fraction = CLAMP (val_fraction, 0.0, 1.0);
  report->seed = seed;

  cnv_split_labels (report->labels, report->n_images, report->val_fraction,
                    seed, &train, &validation);
  memset (report->in_validation, 0, MAX (report->n_images, 1));
  for (guint i = 0; i < validation->len; i++)
    report->in_validation[g_array_index (validation, guint, i)] = 1;
  report->n_train = train->len;
  report->n_validation = validation->len;

  /* The groups borrow the sets the two class lists own. */
  g_ptr_array_set_size (report->across_split, 0);
  for (guint i = 0; i < report->within_class->len; i++)
    add_if_split (report, g_ptr_array_index (report->within_class, i));
  for (guint i = 0; i < report->across_classes->len; i++)
    add_if_split (report, g_ptr_array_index (report->across_classes, i));
  g_ptr_array_sort (report->across_split, compare_first_member);
}

guint
cnv_dataset_report_count_duplicated (const CnvDatasetReport *report)
{
  guint n = 0;

  g_return_val_if_fail (report != NULL, 0);

  for (guint i = 0; i < report->within_class->len; i++)
    n += ((CnvDuplicateGroup *) g_ptr_array_index (report->within_class,
                                                   i))->n_members;
  for (guint i = 0; i < report->across_classes->len; i++)
    n += ((CnvDuplicateGroup *) g_ptr_array_index (report->across_classes,
                                                   i))->n_members;

  return n;
}

GArray *
cnv_dataset_report_bin_sizes (const CnvDatasetReport *report,
                              guint                   max_bins)
{
  GArray *bins = g_array_new (FALSE, TRUE, sizeof (CnvSizeBin));
  int smallest = G_MAXINT;
  int largest = 0;
  int width;
  guint n_bins;

  g_return_val_if_fail (report != NULL, bins);
  g_return_val_if_fail (max_bins > 0, bins);

  for (guint i = 0; i < report->sizes->len; i++)
    {
      const CnvSizeCount *size = &g_array_index (report->sizes,
                                                 CnvSizeCount, i);
      int side = MAX (size->width, size->height);

      smallest = MIN (smallest, side);
      largest = MAX (largest, side);
    }
  if (largest == 0)
    return bins;

  /* Bins of equal whole width that cover [smallest, largest]. */
  width = (int) (((gint64) largest - smallest + max_bins) / max_bins);
  n_bins = (guint) (((gint64) largest - smallest) / width + 1);
  g_array_set_size (bins, n_bins);
  for (guint b = 0; b < n_bins; b++)
    {
      CnvSizeBin *bin = &g_array_index (bins, CnvSizeBin, b);

      bin->low = smallest + (int) b * width;
      bin->high = bin->low + width;
    }

  for (guint i = 0; i < report->sizes->len; i++)
    {
      const CnvSizeCount *size = &g_array_index (report->sizes,
                                                 CnvSizeCount, i);
      int side = MAX (size->width, size->height);

      g_array_index (bins, CnvSizeBin, (side - smallest) / width).count +=
        size->count;
    }

  return bins;
}

/* Normalisation */

void
cnv_dataset_compute_mean_std (const CnvDataset *dataset,
                              const GArray     *indices,
                              float             scale,
                              float             mean[3],
                              float             std[3])
{
  guint64 sum[3] = { 0, 0, 0 };
  guint64 squares[3] = { 0, 0, 0 };
  gsize plane;
  guint n_images;
  guint n_used = 0;
  int channels;

  g_return_if_fail (dataset != NULL);
  g_return_if_fail (mean != NULL && std != NULL);

  channels = MIN (dataset->channels, 3);
  plane = (gsize) dataset->width * dataset->height;
  n_images = indices != NULL ? indices->len : dataset->n_images;

  /* Sums of values and of squares, exact in integers: a 64-bit sum of
   * 255² holds more than 10^14 values. */
  for (guint k = 0; k < n_images; k++)
    {
      guint index = indices != NULL ? g_array_index (indices, guint, k) : k;
      const guint8 *pixels;

      if (index >= dataset->n_images)
        continue;
      n_used++;
      pixels = cnv_dataset_get_pixels (dataset, index);
      for (gsize i = 0; i < plane; i++)
        for (int c = 0; c < channels; c++)
          {
            guint v = pixels[i * dataset->channels + c];

            sum[c] += v;
            squares[c] += v * v;
          }
    }

  for (int c = 0; c < 3; c++)
    {
      double n = (double) plane * n_used;
      double m, variance;

      mean[c] = 0.0f;
      std[c] = 1.0f;
      if (c >= channels || n == 0)
        continue;

      m = sum[c] / n;
      variance = MAX (0.0, squares[c] / n - m * m);
      mean[c] = (float) (m * scale);
      if (variance * scale * scale > 1e-12)
        std[c] = (float) (sqrt (variance) * scale);
    }
}
