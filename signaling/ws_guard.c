/* ws_guard.c — the frame-header follower behind SSL_read (ws_guard.h). */
#define _GNU_SOURCE
#include "ws_guard.h"

#include <dlfcn.h>
#include <openssl/ssl.h>

typedef enum { HDR1, HDR2, EXT_LEN, MASK_KEY, PAYLOAD } State;

typedef struct {
    State state;
    guint need;        /* bytes left in EXT_LEN / MASK_KEY */
    guint64 len;       /* EXT_LEN being assembled; then payload left */
    gboolean unmasked; /* a frame without the mask bit was seen */
} Follower;

static GHashTable *followers; /* SSL* -> Follower (main thread only) */
static GHashTable *ssl_of;    /* wsi -> its SSL* as registered (lws may drop it first) */
static GThread *main_thread;

/* Advances @f over @n bytes of the stream. */
static void follow(Follower *f, const guint8 *p, gsize n)
{
    while (n > 0 && !f->unmasked) {
        switch (f->state) {
        case HDR1:
            f->state = HDR2;
            p++, n--;
            break;
        case HDR2:
            if (!(*p & 0x80)) {
                f->unmasked = TRUE;
                return;
            }
            f->len = *p & 0x7f;
            f->need = f->len == 126 ? 2 : f->len == 127 ? 8 : 0;
            if (f->need)
                f->len = 0;
            f->state = f->need ? EXT_LEN : MASK_KEY;
            if (!f->need)
                f->need = 4;
            p++, n--;
            break;
        case EXT_LEN:
            f->len = (f->len << 8) | *p;
            p++, n--;
            if (--f->need == 0) {
                f->state = MASK_KEY;
                f->need = 4;
            }
            break;
        case MASK_KEY: {
            gsize take = MIN(n, f->need);
            p += take, n -= take;
            f->need -= (guint)take;
            if (f->need == 0)
                f->state = f->len ? PAYLOAD : HDR1;
            break;
        }
        case PAYLOAD: {
            gsize take = (gsize)MIN((guint64)n, f->len);
            p += take, n -= take;
            f->len -= take;
            if (f->len == 0)
                f->state = HDR1;
            break;
        }
        }
    }
}

typedef int (*SslReadFn)(SSL *ssl, void *buf, int num);

int SSL_read(SSL *ssl, void *buf, int num)
{
    static SslReadFn real;
    if (!real) {
        real = (SslReadFn)dlvsym(RTLD_NEXT, "SSL_read", "OPENSSL_3.0.0");
        if (!real)
            real = (SslReadFn)dlsym(RTLD_NEXT, "SSL_read");
    }
    int n = real(ssl, buf, num);
    if (n > 0 && followers && g_thread_self() == main_thread) {
        Follower *f = g_hash_table_lookup(followers, ssl);
        if (f)
            follow(f, buf, (gsize)n);
    }
    return n;
}

void cg_ws_guard_register(struct lws *wsi)
{
    SSL *ssl = lws_get_ssl(wsi);
    if (!ssl)
        return;
    if (!followers) {
        followers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        ssl_of = g_hash_table_new(g_direct_hash, g_direct_equal);
        main_thread = g_thread_self();
    }
    g_hash_table_replace(followers, ssl, g_new0(Follower, 1));
    g_hash_table_replace(ssl_of, wsi, ssl);
}

void cg_ws_guard_unregister(struct lws *wsi)
{
    SSL *ssl = ssl_of ? g_hash_table_lookup(ssl_of, wsi) : NULL;
    if (!ssl)
        return;
    g_hash_table_remove(ssl_of, wsi);
    g_hash_table_remove(followers, ssl);
    if (g_hash_table_size(ssl_of) == 0) {
        g_clear_pointer(&followers, g_hash_table_destroy);
        g_clear_pointer(&ssl_of, g_hash_table_destroy);
    }
}

gboolean cg_ws_guard_saw_unmasked(struct lws *wsi)
{
    SSL *ssl = ssl_of ? g_hash_table_lookup(ssl_of, wsi) : NULL;
    const Follower *f = ssl ? g_hash_table_lookup(followers, ssl) : NULL;
    return f && f->unmasked;
}
