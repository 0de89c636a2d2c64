/* conn_limits.c — see conn_limits.h. Two tables: per address key, its open
 * and handshaking counts (and refusals not yet logged); per wsi, its key and
 * when it was accepted. A 1 s timer closes handshakes that took too long and
 * writes the aggregated refusal lines. */
#include "conn_limits.h"

#include "rate_limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>

#define SWEEP_INTERVAL_S 1
#define LOG_INTERVAL_US (10 * G_USEC_PER_SEC)
/* A handshake that keeps moving is closed at this many handshake timeouts. */
#define HARD_LIMIT_FACTOR 6

typedef struct {
    guint open;
    guint handshaking;
    guint refused; /* since the last log line */
} AddressCount;

typedef struct {
    char *key; /* owned by the addresses table */
    gint64 opened_us;
    gboolean handshaking;
} Connection;

struct _CgConnLimits {
    guint max_per_address;
    guint max_handshakes;
    gint64 handshake_timeout_us;
    GHashTable *addresses;   /* char *key -> AddressCount */
    GHashTable *connections; /* struct lws * -> Connection */
    guint sweep_id;
    gint64 last_log_us;
};

char *cg_conn_limits_key(const struct sockaddr *addr)
{
    char text[INET6_ADDRSTRLEN], key[CG_RATE_LIMIT_KEY_MAX];
    const void *ip = addr->sa_family == AF_INET
                         ? (const void *)&((const struct sockaddr_in *)addr)->sin_addr
                     : addr->sa_family == AF_INET6
                         ? (const void *)&((const struct sockaddr_in6 *)addr)->sin6_addr
                         : NULL;
    if (!ip || !inet_ntop(addr->sa_family, ip, text, sizeof text))
        return NULL;
    /* One grouping for every per-address limit: rate_limit.h's. */
    return g_strdup(cg_rate_limit_key(text, key));
}

static void log_refusals(CgConnLimits *l)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, l->addresses);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        AddressCount *count = value;
        if (count->refused > 0)
            g_warning("refused %u connection(s) from %s: over its per-address limits "
                      "(%u open, %u handshaking)",
                      count->refused, (const char *)key, count->open, count->handshaking);
        count->refused = 0;
        if (count->open == 0)
            g_hash_table_iter_remove(&iter);
    }
}

/* Whether the client is the one being slow: no byte moved on the socket
 * either way (the kernel's clocks) for @idle_us, and none it sent waits
 * unread. A busy main thread (a slow handshake under load or sanitizers)
 * must not cost a client its connection; a silent or dripping client is
 * closed, the dripping one at the latest at HARD_LIMIT_FACTOR times. */
static gboolean client_is_idle(struct lws *wsi, gint64 idle_us)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    int pending = 0;
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return TRUE;
    if (ioctl(fd, FIONREAD, &pending) == 0 && pending > 0)
        return FALSE;
    return (gint64)MIN(ti.tcpi_last_data_recv, ti.tcpi_last_data_sent) * 1000 >= idle_us;
}

static gboolean sweep(gpointer data)
{
    CgConnLimits *l = data;
    gint64 now = g_get_monotonic_time();
    g_autoptr(GPtrArray) late = g_ptr_array_new();
    GHashTableIter iter;
    gpointer wsi, value;
    g_hash_table_iter_init(&iter, l->connections);
    while (g_hash_table_iter_next(&iter, &wsi, &value)) {
        Connection *c = value;
        gint64 age = now - c->opened_us;
        if (c->handshaking && age >= l->handshake_timeout_us &&
            (age >= HARD_LIMIT_FACTOR * l->handshake_timeout_us ||
             client_is_idle(wsi, l->handshake_timeout_us)))
            g_ptr_array_add(late, wsi);
    }
    /* Closed now (an async lws timeout set from outside lws's service would
     * wait for its next wake-up); WSI_DESTROY updates the tables, so not
     * while iterating them. */
    for (guint i = 0; i < late->len; i++)
        if (g_hash_table_contains(l->connections, late->pdata[i]))
            lws_set_timeout(late->pdata[i], PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
    if (now - l->last_log_us >= LOG_INTERVAL_US) {
        l->last_log_us = now;
        log_refusals(l);
    }
    return G_SOURCE_CONTINUE;
}

CgConnLimits *cg_conn_limits_new(guint max_per_address, guint max_handshakes_per_address,
                                 guint handshake_timeout_s)
{
    CgConnLimits *l = g_new0(CgConnLimits, 1);
    l->max_per_address = max_per_address;
    l->max_handshakes = max_handshakes_per_address;
    l->handshake_timeout_us = (gint64)handshake_timeout_s * G_USEC_PER_SEC;
    l->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    l->connections = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    l->sweep_id = g_timeout_add_seconds(SWEEP_INTERVAL_S, sweep, l);
    l->last_log_us = g_get_monotonic_time();
    return l;
}

void cg_conn_limits_free(CgConnLimits *l)
{
    if (!l)
        return;
    g_clear_handle_id(&l->sweep_id, g_source_remove);
    log_refusals(l);
    g_hash_table_destroy(l->connections);
    g_hash_table_destroy(l->addresses);
    g_free(l);
}

gboolean cg_conn_limits_admit(CgConnLimits *l, const struct sockaddr *addr)
{
    g_autofree char *key = cg_conn_limits_key(addr);
    AddressCount *count = key ? g_hash_table_lookup(l->addresses, key) : NULL;
    if (!count || (count->open < l->max_per_address && count->handshaking < l->max_handshakes))
        return TRUE;
    count->refused++;
    return FALSE;
}

void cg_conn_limits_opened(CgConnLimits *l, struct lws *wsi)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof addr;
    int fd = lws_get_socket_fd(wsi);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&addr, &len) != 0 ||
        g_hash_table_contains(l->connections, wsi))
        return;
    g_autofree char *key = cg_conn_limits_key((struct sockaddr *)&addr);
    if (!key)
        return;
    char *stored_key = NULL;
    AddressCount *count = NULL;
    if (!g_hash_table_lookup_extended(l->addresses, key, (gpointer *)&stored_key,
                                      (gpointer *)&count)) {
        stored_key = g_steal_pointer(&key);
        count = g_new0(AddressCount, 1);
        g_hash_table_insert(l->addresses, stored_key, count);
    }
    count->open++;
    count->handshaking++;
    Connection *c = g_new0(Connection, 1);
    c->key = stored_key;
    c->opened_us = g_get_monotonic_time();
    c->handshaking = TRUE;
    g_hash_table_insert(l->connections, wsi, c);
}

void cg_conn_limits_request(CgConnLimits *l, struct lws *wsi)
{
    Connection *c = g_hash_table_lookup(l->connections, wsi);
    if (!c || !c->handshaking)
        return;
    c->handshaking = FALSE;
    AddressCount *count = g_hash_table_lookup(l->addresses, c->key);
    count->handshaking--;
}

void cg_conn_limits_closed(CgConnLimits *l, struct lws *wsi)
{
    Connection *c = g_hash_table_lookup(l->connections, wsi);
    if (!c)
        return;
    AddressCount *count = g_hash_table_lookup(l->addresses, c->key);
    count->open--;
    if (c->handshaking)
        count->handshaking--;
    /* Entries with refusals stay until they are logged. */
    if (count->open == 0 && count->refused == 0)
        g_hash_table_remove(l->addresses, c->key);
    g_hash_table_remove(l->connections, wsi);
}
