/* cnv-image.h — the preprocessing record and the one function that turns
 * an image file into what the network sees
 *
 * Every path from a file to an input tensor — training, validation, the
 * preview and prediction — calls cnv_image_load () and then
 * cnv_image_to_input () with the same CnvPreprocessing.  The first step
 * decodes (gdk-pixbuf, size-capped before decoding, truncation detected),
 * applies EXIF orientation, flattens alpha on the background colour,
 * converts to the model's channel count and resizes to the network's
 * input size, keeping 8 bits per value.  The second scales and normalises
 * into floats.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CNV_IMAGE_ERROR (cnv_image_error_quark ())

typedef enum
{
  CNV_IMAGE_ERROR_UNREADABLE,   /* cannot open or read the file */
  CNV_IMAGE_ERROR_EMPTY,        /* zero bytes */
  CNV_IMAGE_ERROR_NOT_AN_IMAGE, /* no decoder recognises it */
  CNV_IMAGE_ERROR_TRUNCATED,    /* the file ends before its end marker */
  CNV_IMAGE_ERROR_TOO_LARGE,    /* dimensions above the cap */
  CNV_IMAGE_ERROR_CORRUPT,      /* the decoder failed */
} CnvImageError;

GQuark cnv_image_error_quark (void);

/* Images larger than this in either dimension, or in pixel count, are
 * refused before any pixel is decoded. */
#define CNV_IMAGE_MAX_SIDE   16384
#define CNV_IMAGE_MAX_PIXELS (64 * 1024 * 1024)

typedef enum
{
  CNV_COLOR_GRAYSCALE,
  CNV_COLOR_RGB,
} CnvColorMode;

typedef enum
{
  CNV_RESIZE_STRETCH,      /* to width × height, aspect may change */
  CNV_RESIZE_CENTER_CROP,  /* scale the short side, crop the centre */
  CNV_RESIZE_LETTERBOX,    /* scale the long side, pad with pad_color */
} CnvResizeMode;

typedef enum
{
  CNV_INTERP_NEAREST,
  CNV_INTERP_BILINEAR,
} CnvInterpolation;

typedef struct
{
  int              width;          /* the network's input size */
  int              height;
  CnvColorMode     color_mode;     /* channels: 1 or 3, in R, G, B order */
  gboolean         apply_exif;     /* rotate by the EXIF orientation tag */
  guint8           background[3];  /* alpha is flattened on this colour */
  CnvResizeMode    resize_mode;
  CnvInterpolation interpolation;
  guint8           pad_color[3];   /* letterbox padding */
  float            scale;          /* value = (pixel * scale - mean) / std */
  float            mean[3];
  float            std[3];
} CnvPreprocessing;

/* What the network sees, at its resolution, 8 bits per value, HWC order. */
typedef struct
{
  int     width;
  int     height;
  int     channels;
  guint8 *pixels;     /* width * height * channels bytes */
  /* What happened on the way, for "what the network saw" notes. */
  int     original_width;
  int     original_height;
  gboolean had_alpha;
  gboolean was_color;    /* converted from colour to grey */
  gboolean was_grey;     /* grey, its value copied into R, G and B */
  gboolean was_rotated;  /* an EXIF orientation was applied */
} CnvImage;

/* 28 × 28 grey, EXIF applied, white background, stretch, bilinear,
 * scale 1/255, mean 0, std 1. */
void      cnv_preprocessing_init_default  (CnvPreprocessing       *pp,
                                           int                     width,
                                           int                     height,
                                           int                     channels);
int       cnv_preprocessing_get_channels  (const CnvPreprocessing *pp);
gboolean  cnv_preprocessing_equal         (const CnvPreprocessing *a,
                                           const CnvPreprocessing *b);
JsonNode *cnv_preprocessing_to_json_node  (const CnvPreprocessing *pp);
gboolean  cnv_preprocessing_from_json_node (JsonNode              *node,
                                            CnvPreprocessing      *pp,
                                            GError               **error);

/* Decodes path and prepares it for the network.  The GError message names
 * the file and the reason. */
CnvImage *cnv_image_load      (const char             *path,
                               const CnvPreprocessing *pp,
                               GError                **error);
/* Same, from bytes already in memory (the clipboard, a test). name is used
 * in messages. */
CnvImage *cnv_image_load_bytes (GBytes                *bytes,
                                const char            *name,
                                const CnvPreprocessing *pp,
                                GError               **error);
CnvImage *cnv_image_new       (int                     width,
                               int                     height,
                               int                     channels);
void      cnv_image_free      (CnvImage               *image);
/* Writes channels * height * width floats in CHW order into input. */
void      cnv_image_to_input  (const guint8           *pixels,
                               const CnvPreprocessing *pp,
                               float                  *input);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnvImage, cnv_image_free)

G_END_DECLS
