/* sigload.h — the signaling load generator's parts: hostile WSS and TLS
 * clients against consultd, many at once, on one thread (epoll, non-blocking
 * sockets, OpenSSL memory per connection only).
 *
 * Kinds of connection:
 *  - idle: TLS + WebSocket upgrade to /ws, then silent (reads what comes);
 *  - junk: as idle, plus a masked text frame of garbage every junk interval;
 *  - mute: as idle but sends {"type":"ping-junk"} (each provokes an error
 *    reply) every mute interval and never reads after the upgrade, with a
 *    small SO_RCVBUF;
 *  - half: half-open TLS: TCP connect then nothing (even indices) or the
 *    first half of a ClientHello (odd indices);
 *  - probe: what bots do all day: TLS, one GET of a page that does not
 *    exist, and a hang-up once the answer's head has arrived.
 *
 * Every client socket is bound to a loopback source address before connect
 * (all of 127.0.0.0/8 is loopback on Linux), so per-address limits can be
 * exercised or avoided at will.
 *
 * Threads: everything runs on the one thread that calls sl_loop_run().
 */
#pragma once

#include <glib.h>
#include <netinet/in.h>
#include <openssl/ssl.h>

typedef enum { SL_IDLE, SL_JUNK, SL_MUTE, SL_HALF, SL_PROBE, SL_N_KINDS } SlKind;

const char *sl_kind_name(SlKind kind);

/* What happened to the connections of one kind (all times monotonic µs). */
typedef struct {
    guint target;      /* connections of this kind to keep */
    guint attempts;    /* connects started */
    guint opened;      /* reached open: upgraded (WSS kinds) or connected (half) */
    guint open;        /* open now */
    guint peak_open;   /* most open at once */
    guint failed;      /* ended before open */
    guint closed;      /* closed by the server after open */
    guint hung_up;     /* probe: answered, then closed by us */
    guint connecting;  /* started, not open, not ended */
    GHashTable *fails; /* reason -> count (GUINT_TO_POINTER) */
    GHashTable *codes; /* close status (0 = none: EOF, reset) -> count */
    GHashTable *http;  /* probe: HTTP status answered -> count */
    GArray *lifetimes; /* double seconds from open to the server's close */
    gint64 first_close_us, last_close_us;
} SlKindStats;

typedef struct {
    struct sockaddr_in target;
    char host_header[64];
    guint32 source_base; /* host order, e.g. 127.0.1.1 */
    guint n_sources;
    guint junk_interval_ms;
    guint mute_interval_ms;
    guint mute_rcvbuf;
    guint connect_timeout_ms; /* to open (not for half) */
    guint reconnect_ms;       /* 0: a closed connection is not replaced */
    guint probe_interval_ms;  /* 0: each probe asks once */
    SSL_CTX *ssl;
    GBytes *partial_hello; /* first half of a ClientHello record */
    SlKindStats kinds[SL_N_KINDS];
    gint64 start_us;
} SlRun;

typedef struct _SlConn SlConn;

/* conn.c: one connection's state machine. */
/* (transfer full) a connection of @kind from source address @source_index,
 * registered with @epfd; NULL if the socket could not even be created (counted
 * as failed). */
SlConn *sl_conn_start(SlRun *run, int epfd, SlKind kind, guint source_index, guint serial);
/* Handles epoll @events; FALSE once the connection has ended (free it). */
gboolean sl_conn_event(SlConn *conn, guint32 events);
/* Sends what is due and checks timeouts at @now_us; FALSE once ended. */
gboolean sl_conn_tick(SlConn *conn, gint64 now_us);
SlKind sl_conn_kind(const SlConn *conn);
guint sl_conn_source(const SlConn *conn);
/* Closes the socket (without counting a server close) and frees. */
void sl_conn_free(SlConn *conn);

/* wsframe.c: the WebSocket framing the clients need. */
/* (transfer full) a masked client frame with @opcode and @payload. */
GBytes *sl_ws_client_frame(guint8 opcode, const void *payload, gsize len);
/* Incremental parser of server frames: finds close frames. */
typedef struct {
    guint8 head[14];
    guint head_len;
    guint64 remaining; /* payload bytes still to skip */
    gboolean in_close;
    guint8 close_payload[2];
    guint close_got;
    gboolean closed;
    guint close_code;
} SlWsParser;
void sl_ws_parse(SlWsParser *p, const guint8 *data, gsize len);

/* report.c: statistics and the JSON lines on stdout. */
void sl_stats_init(SlKindStats *s, guint target);
void sl_stats_clear(SlKindStats *s);
void sl_stats_fail(SlKindStats *s, const char *reason);
void sl_stats_open(SlKindStats *s);
/* A probe was answered with HTTP @status and hung up. */
void sl_stats_hang_up(SlKindStats *s, guint status);
void sl_stats_close(SlKindStats *s, guint code, double lifetime_s, gint64 now_us);
/* Prints one JSON line {"event": @event, "t_ms": ..., "kinds": {...}}; with
 * @detail, close codes, failure reasons and lifetimes too. */
void sl_report(const SlRun *run, const char *event, gboolean detail);
