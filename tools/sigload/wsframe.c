/* wsframe.c — RFC 6455 framing for sigload: masked client frames out, and a
 * parser of server frames that only looks for the close frame. */
#include <string.h>

#include "sigload.h"

GBytes *sl_ws_client_frame(guint8 opcode, const void *payload, gsize len)
{
    GByteArray *f = g_byte_array_sized_new((guint)len + 14);
    guint8 head[10];
    gsize head_len = 2;
    head[0] = 0x80 | (opcode & 0x0f);
    if (len < 126) {
        head[1] = 0x80 | (guint8)len;
    } else if (len <= 0xffff) {
        head[1] = 0x80 | 126;
        head[2] = (guint8)(len >> 8);
        head[3] = (guint8)len;
        head_len = 4;
    } else {
        head[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            head[2 + i] = (guint8)((guint64)len >> (56 - 8 * i));
        head_len = 10;
    }
    g_byte_array_append(f, head, (guint)head_len);
    guint32 r = g_random_int();
    guint8 mask[4];
    memcpy(mask, &r, 4);
    g_byte_array_append(f, mask, 4);
    const guint8 *p = payload;
    for (gsize i = 0; i < len; i++) {
        guint8 b = p[i] ^ mask[i % 4];
        g_byte_array_append(f, &b, 1);
    }
    return g_byte_array_free_to_bytes(f);
}

/* Bytes of header still needed once @p->head holds @p->head_len bytes; 0 when
 * the header is complete. */
static guint head_missing(const SlWsParser *p)
{
    if (p->head_len < 2)
        return 2 - p->head_len;
    guint need = 2;
    guint8 l = p->head[1] & 0x7f;
    if (l == 126)
        need += 2;
    else if (l == 127)
        need += 8;
    if (p->head[1] & 0x80)
        need += 4; /* a masked server frame: a protocol error, but parse it */
    return need > p->head_len ? need - p->head_len : 0;
}

static void head_done(SlWsParser *p)
{
    guint8 l = p->head[1] & 0x7f;
    guint64 len = l;
    if (l == 126)
        len = ((guint64)p->head[2] << 8) | p->head[3];
    else if (l == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p->head[2 + i];
    }
    p->remaining = len;
    p->in_close = (p->head[0] & 0x0f) == 0x8;
    p->close_got = 0;
    p->head_len = 0;
    if (p->in_close && len == 0) {
        p->closed = TRUE;
        p->close_code = 1005; /* no status received */
    }
}

void sl_ws_parse(SlWsParser *p, const guint8 *data, gsize len)
{
    while (len > 0 && !p->closed) {
        if (p->remaining == 0) {
            guint missing = head_missing(p);
            guint take = (guint)MIN((gsize)missing, len);
            memcpy(p->head + p->head_len, data, take);
            p->head_len += take;
            data += take;
            len -= take;
            if (head_missing(p) == 0)
                head_done(p);
            continue;
        }
        gsize take = (gsize)MIN(p->remaining, (guint64)len);
        for (gsize i = 0; p->in_close && i < take && p->close_got < 2; i++)
            p->close_payload[p->close_got++] = data[i];
        p->remaining -= take;
        data += take;
        len -= take;
        if (p->in_close && p->remaining == 0) {
            p->closed = TRUE;
            p->close_code =
                p->close_got == 2 ? ((guint)p->close_payload[0] << 8) | p->close_payload[1] : 1005;
        }
    }
}
