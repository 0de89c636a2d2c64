/* opus_packet.c — RTP payload and Opus framing checks (opus_packet.h). */
#include "opus_packet.h"

#define OPUS_MAX_FRAME_BYTES 1275
#define OPUS_MAX_SAMPLES 5760 /* 120 ms at 48 kHz */

gboolean cg_rtp_payload(const guint8 *rtp, gsize len, const guint8 **payload, gsize *payload_len)
{
    if (len < 12 || (rtp[0] >> 6) != 2)
        return FALSE;
    gsize head = 12 + 4u * (rtp[0] & 0x0f);
    if (rtp[0] & 0x10) { /* header extension */
        if (len < head + 4)
            return FALSE;
        head += 4 + 4u * ((gsize)rtp[head + 2] << 8 | rtp[head + 3]);
    }
    gsize end = len;
    if (rtp[0] & 0x20) { /* padding: its length is the last byte */
        if (rtp[len - 1] == 0 || rtp[len - 1] > len)
            return FALSE;
        end = len - rtp[len - 1];
    }
    if (head > end)
        return FALSE;
    *payload = rtp + head;
    *payload_len = end - head;
    return TRUE;
}

/* Samples at 48 kHz of one frame of TOC configuration @config. */
static guint frame_samples(guint config)
{
    if (config < 12) /* SILK: 10, 20, 40, 60 ms */
        return (const guint[]){480, 960, 1920, 2880}[config % 4];
    if (config < 16) /* hybrid: 10, 20 ms */
        return config % 2 ? 960 : 480;
    return (const guint[]){120, 240, 480, 960}[config % 4]; /* CELT */
}

/* A frame length coded in one or two bytes (section 3.2.1). */
static gboolean read_length(const guint8 **p, const guint8 *end, gsize *out)
{
    if (*p >= end)
        return FALSE;
    if (**p < 252) {
        *out = *(*p)++;
        return TRUE;
    }
    if (*p + 1 >= end)
        return FALSE;
    *out = (gsize)(*p)[0] + 4u * (*p)[1];
    *p += 2;
    return TRUE;
}

gboolean cg_opus_packet_valid(const guint8 *data, gsize len, guint *samples)
{
    if (len < 1) /* R1 */
        return FALSE;
    const guint8 *p = data + 1, *end = data + len;
    guint per_frame = frame_samples(data[0] >> 3), frames;
    gsize n, rest;
    switch (data[0] & 3) {
    case 0: /* one frame (R2) */
        frames = 1;
        if (len - 1 > OPUS_MAX_FRAME_BYTES)
            return FALSE;
        break;
    case 1: /* two frames of equal size (R3) */
        frames = 2;
        if ((len - 1) % 2 || (len - 1) / 2 > OPUS_MAX_FRAME_BYTES)
            return FALSE;
        break;
    case 2: /* two frames, the first one's length coded (R4) */
        frames = 2;
        if (!read_length(&p, end, &n) || n > (gsize)(end - p) || n > OPUS_MAX_FRAME_BYTES ||
            (gsize)(end - p) - n > OPUS_MAX_FRAME_BYTES)
            return FALSE;
        break;
    default: { /* code 3: M frames, CBR or VBR, maybe padded (R5-R7) */
        if (len < 2)
            return FALSE;
        guint8 b = data[1];
        frames = b & 0x3f;
        p = data + 2;
        if (frames == 0 || frames * per_frame > OPUS_MAX_SAMPLES)
            return FALSE;
        gsize padding = 0;
        if (b & 0x40) {
            guint8 v;
            do {
                if (p >= end)
                    return FALSE;
                v = *p++;
                padding += v == 255 ? 254 : v;
            } while (v == 255);
        }
        if (padding > (gsize)(end - p))
            return FALSE;
        end -= padding;
        if (b & 0x80) { /* VBR: M-1 lengths, the last frame takes the rest */
            gsize used = 0;
            for (guint i = 0; i + 1 < frames; i++) {
                if (!read_length(&p, end, &n) || n > OPUS_MAX_FRAME_BYTES)
                    return FALSE;
                used += n;
            }
            if (used > (gsize)(end - p) || (gsize)(end - p) - used > OPUS_MAX_FRAME_BYTES)
                return FALSE;
        } else { /* CBR */
            rest = (gsize)(end - p);
            if (rest % frames || rest / frames > OPUS_MAX_FRAME_BYTES)
                return FALSE;
        }
        break;
    }
    }
    if (frames * per_frame > OPUS_MAX_SAMPLES)
        return FALSE;
    if (samples)
        *samples = frames * per_frame;
    return TRUE;
}
