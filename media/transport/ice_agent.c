/* ice_agent.c — one NiceAgent, hardened, for one bundled rtcp-mux connection.
 * See ice_agent.h for the contract. */
#include "ice_agent.h"

#include <agent.h>
#include <gio/gio.h>
#include <string.h>

#define COMPONENT 1u /* rtcp-mux: RTP and RTCP share component 1 */

GQuark cg_ice_error_quark(void)
{
    return g_quark_from_static_string("cg-ice-error-quark");
}

typedef enum {
    EVENT_CANDIDATE,
    EVENT_CANDIDATES_DONE,
    EVENT_STATE,
} EventKind;

typedef struct {
    EventKind kind;
    char *candidate;  /* EVENT_CANDIDATE */
    CgIceState state; /* EVENT_STATE */
} Event;

struct _CgIceAgent {
    NiceAgent *nice;
    GMainContext *context; /* ref */
    guint stream;
    CgIceAgentCallbacks cb;
    gpointer user;
    const CgAddressPolicy *policy; /* borrowed */
    char *tag;

    CgIceState state;          /* as libnice last told us */
    CgIceState reported_state; /* as the caller was last told */
    gboolean gathering;        /* cg_ice_agent_gather() was called */
    gboolean gathering_done;
    guint n_remote_candidates; /* this ICE generation */
    char *ufrag;
    char *pwd;
    gint64 last_receive_us;

    /* libnice emits some signals from inside its API calls: what they report
     * waits here for an idle source, so callbacks never re-enter our caller. */
    GQueue events;
    GSource *idle;
};

const char *cg_ice_state_name(CgIceState state)
{
    switch (state) {
    case CG_ICE_STATE_NEW:
        return "new";
    case CG_ICE_STATE_GATHERING:
        return "gathering";
    case CG_ICE_STATE_CONNECTING:
        return "connecting";
    case CG_ICE_STATE_CONNECTED:
        return "connected";
    case CG_ICE_STATE_FAILED:
        return "failed";
    case CG_ICE_STATE_DISCONNECTED:
        return "disconnected";
    }
    return "unknown";
}

/* ---- event queue ---- */

static void event_free(gpointer data)
{
    Event *ev = data;
    g_free(ev->candidate);
    g_free(ev);
}

static gboolean dispatch_events(gpointer data)
{
    CgIceAgent *self = data;
    /* Drop our reference first: a callback that queues more events schedules
     * a new idle, and the loop below drains them too. */
    g_clear_pointer(&self->idle, g_source_unref);
    Event *ev;
    while ((ev = g_queue_pop_head(&self->events))) {
        switch (ev->kind) {
        case EVENT_CANDIDATE:
            self->cb.local_candidate(self->user, ev->candidate);
            break;
        case EVENT_CANDIDATES_DONE:
            if (self->cb.local_candidates_done)
                self->cb.local_candidates_done(self->user);
            break;
        case EVENT_STATE:
            if (ev->state != self->reported_state) {
                self->reported_state = ev->state;
                if (self->cb.state_changed)
                    self->cb.state_changed(self->user, ev->state);
            }
            break;
        }
        event_free(ev);
    }
    return G_SOURCE_REMOVE;
}

static void push_event(CgIceAgent *self, EventKind kind, char *candidate, CgIceState state)
{
    Event *ev = g_new0(Event, 1);
    ev->kind = kind;
    ev->candidate = candidate;
    ev->state = state;
    g_queue_push_tail(&self->events, ev);
    if (!self->idle) {
        self->idle = g_idle_source_new();
        g_source_set_callback(self->idle, dispatch_events, self, NULL);
        g_source_attach(self->idle, self->context);
    }
}

/* ---- libnice signals (on self->context) ---- */

/* Queues @cand as an a=candidate value, unless it is one we do not signal. */
static void push_local_candidate(CgIceAgent *self, NiceCandidate *cand)
{
    /* Active TCP candidates carry port 9 and tell the peer nothing; libnice
     * still connects from them to the peer's passive ones. */
    if (cand->transport == NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE)
        return;
    char *sdp = nice_agent_generate_local_candidate_sdp(self->nice, cand);
    if (!sdp)
        return;
    const char *value = g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp;
    push_event(self, EVENT_CANDIDATE, g_strdup(value), 0);
    g_free(sdp);
}

static void on_new_candidate(NiceAgent *nice, NiceCandidate *cand, gpointer data)
{
    (void)nice;
    CgIceAgent *self = data;
    if (cand->stream_id == self->stream && cand->component_id == COMPONENT)
        push_local_candidate(self, cand);
}

static void on_gathering_done(NiceAgent *nice, guint stream, gpointer data)
{
    (void)nice;
    CgIceAgent *self = data;
    if (stream != self->stream || self->gathering_done)
        return;
    self->gathering_done = TRUE;
    push_event(self, EVENT_CANDIDATES_DONE, NULL, 0);
}

static void on_component_state(NiceAgent *nice, guint stream, guint component, guint nstate,
                               gpointer data)
{
    (void)nice;
    CgIceAgent *self = data;
    if (stream != self->stream || component != COMPONENT)
        return;
    CgIceState state;
    switch (nstate) {
    case NICE_COMPONENT_STATE_GATHERING:
        state = CG_ICE_STATE_GATHERING;
        break;
    case NICE_COMPONENT_STATE_CONNECTING:
        state = CG_ICE_STATE_CONNECTING;
        break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
        state = CG_ICE_STATE_CONNECTED;
        break;
    case NICE_COMPONENT_STATE_FAILED:
        state = CG_ICE_STATE_FAILED;
        break;
    case NICE_COMPONENT_STATE_DISCONNECTED:
        /* Also libnice's initial state: only a loss counts. */
        if (self->state != CG_ICE_STATE_CONNECTING && self->state != CG_ICE_STATE_CONNECTED)
            return;
        state = CG_ICE_STATE_DISCONNECTED;
        break;
    default:
        return;
    }
    if (state == self->state)
        return;
    g_debug("%s %s -> %s (%s)", self->tag, cg_ice_state_name(self->state), cg_ice_state_name(state),
            nice_component_state_to_string(nstate));
    self->state = state;
    push_event(self, EVENT_STATE, NULL, state);
}

static void on_receive(NiceAgent *nice, guint stream, guint component, guint len, gchar *buf,
                       gpointer data)
{
    (void)nice;
    (void)stream;
    (void)component;
    CgIceAgent *self = data;
    if (len == 0)
        return;
    self->last_receive_us = g_get_monotonic_time();
    if (self->cb.receive)
        self->cb.receive(self->user, (const guint8 *)buf, len);
}

/* ---- construction ---- */

static gboolean config_error(GError **error, const char *what)
{
    g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_CONFIG, "ICE configuration: %s", what);
    return FALSE;
}

static gboolean check_config(const CgIceAgentConfig *config, GError **error)
{
    if (!config->local_addresses || !config->local_addresses[0])
        return config_error(error, "no local address");
    if (!config->policy)
        return config_error(error, "no address policy");
    if (config->port_min || config->port_max) {
        if (!config->port_min || config->port_min > config->port_max || config->port_max > 65535)
            return config_error(error, "port range must be 0 < min <= max <= 65535");
    }
    if (config->check_retransmissions > CG_ICE_MAX_RETRANSMISSIONS)
        return config_error(error, "too many check retransmissions");
    if (config->tcp_only_for_testing && !config->ice_tcp)
        return config_error(error, "TCP only without ICE-TCP");
    return TRUE;
}

static gboolean add_local_addresses(NiceAgent *nice, const char *const *addresses, GError **error)
{
    for (guint i = 0; addresses[i]; i++) {
        NiceAddress addr;
        nice_address_init(&addr);
        if (!nice_address_set_from_string(&addr, addresses[i]) ||
            !nice_agent_add_local_address(nice, &addr)) {
            g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_CONFIG,
                        "ICE configuration: local address %s is not an IP address", addresses[i]);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean set_stun_server(NiceAgent *nice, const char *server, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autoptr(GSocketConnectable) parsed = g_network_address_parse(server, 3478, &local);
    const char *host = parsed ? g_network_address_get_hostname(G_NETWORK_ADDRESS(parsed)) : NULL;
    if (!host || !g_hostname_is_ip_address(host)) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_CONFIG,
                    "ICE configuration: STUN server %s is not IP:PORT", server);
        return FALSE;
    }
    g_object_set(nice, "stun-server", host, "stun-server-port",
                 (guint)g_network_address_get_port(G_NETWORK_ADDRESS(parsed)), NULL);
    return TRUE;
}

static void refresh_credentials(CgIceAgent *self)
{
    g_clear_pointer(&self->ufrag, g_free);
    g_clear_pointer(&self->pwd, g_free);
    if (!nice_agent_get_local_credentials(self->nice, self->stream, &self->ufrag, &self->pwd)) {
        /* Cannot happen for a stream we own; keep the getters non-NULL. */
        self->ufrag = g_strdup("");
        self->pwd = g_strdup("");
    }
}

static gboolean setup_nice(CgIceAgent *self, const CgIceAgentConfig *config, gboolean controlling,
                           GError **error)
{
    self->nice = nice_agent_new_full(self->context, NICE_COMPATIBILITY_RFC5245,
                                     NICE_AGENT_OPTION_ICE_TRICKLE);
    g_object_set(self->nice, "upnp", FALSE, "controlling-mode", controlling, "ice-tcp",
                 config->ice_tcp, "ice-udp", !config->tcp_only_for_testing, NULL);
    if (config->check_retransmissions)
        g_object_set(self->nice, "stun-max-retransmissions", config->check_retransmissions, NULL);
    if (!add_local_addresses(self->nice, config->local_addresses, error))
        return FALSE;
    if (config->stun_server && *config->stun_server &&
        !set_stun_server(self->nice, config->stun_server, error))
        return FALSE;
    self->stream = nice_agent_add_stream(self->nice, 1);
    if (!self->stream) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_FAILED, "libnice refused a stream");
        return FALSE;
    }
    if (config->port_min)
        nice_agent_set_port_range(self->nice, self->stream, COMPONENT, config->port_min,
                                  config->port_max);
    g_signal_connect(self->nice, "new-candidate-full", G_CALLBACK(on_new_candidate), self);
    g_signal_connect(self->nice, "candidate-gathering-done", G_CALLBACK(on_gathering_done), self);
    g_signal_connect(self->nice, "component-state-changed", G_CALLBACK(on_component_state), self);
    nice_agent_attach_recv(self->nice, self->stream, COMPONENT, self->context, on_receive, self);
    refresh_credentials(self);
    return TRUE;
}

CgIceAgent *cg_ice_agent_new(const CgIceAgentConfig *config, gboolean controlling,
                             GMainContext *context, const CgIceAgentCallbacks *cb, gpointer user,
                             GError **error)
{
    g_return_val_if_fail(config && cb && cb->local_candidate, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!check_config(config, error))
        return NULL;
    CgIceAgent *self = g_new0(CgIceAgent, 1);
    self->context = g_main_context_ref(context ? context : g_main_context_default());
    self->cb = *cb;
    self->user = user;
    self->policy = config->policy;
    self->tag = g_strdup("[ice]");
    g_queue_init(&self->events);
    if (!setup_nice(self, config, controlling, error)) {
        cg_ice_agent_free(self);
        return NULL;
    }
    return self;
}

void cg_ice_agent_free(CgIceAgent *self)
{
    if (!self)
        return;
    /* Teardown order: our idle, then every libnice hook into us, then libnice. */
    if (self->idle) {
        g_source_destroy(self->idle);
        g_clear_pointer(&self->idle, g_source_unref);
    }
    g_queue_clear_full(&self->events, event_free);
    if (self->nice) {
        g_signal_handlers_disconnect_by_data(self->nice, self);
        if (self->stream) {
            nice_agent_attach_recv(self->nice, self->stream, COMPONENT, self->context, NULL, NULL);
            nice_agent_remove_stream(self->nice, self->stream);
        }
        g_object_unref(self->nice);
    }
    g_main_context_unref(self->context);
    g_free(self->ufrag);
    g_free(self->pwd);
    g_free(self->tag);
    g_free(self);
}

void cg_ice_agent_set_log_tag(CgIceAgent *self, const char *tag)
{
    g_return_if_fail(self && tag);
    g_free(self->tag);
    self->tag = g_strdup(tag);
}

/* ---- local side ---- */

gboolean cg_ice_agent_gather(CgIceAgent *self, GError **error)
{
    g_return_val_if_fail(self && !self->gathering, FALSE);
    self->gathering = TRUE;
    if (!nice_agent_gather_candidates(self->nice, self->stream)) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_FAILED,
                    "libnice could not gather on the configured addresses");
        return FALSE;
    }
    return TRUE;
}

void cg_ice_agent_local_credentials(CgIceAgent *self, const char **ufrag, const char **pwd)
{
    g_return_if_fail(self);
    if (ufrag)
        *ufrag = self->ufrag;
    if (pwd)
        *pwd = self->pwd;
}

gboolean cg_ice_agent_restart(CgIceAgent *self, GError **error)
{
    g_return_val_if_fail(self, FALSE);
    if (!self->gathering || !nice_agent_restart(self->nice)) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_FAILED, "ICE restart refused");
        return FALSE;
    }
    refresh_credentials(self);
    self->n_remote_candidates = 0;
    g_debug("%s restarted", self->tag);
    /* libnice keeps the local candidates and does not announce them again; the
     * peer needs them with our new ufrag. */
    GSList *cands = nice_agent_get_local_candidates(self->nice, self->stream, COMPONENT);
    for (GSList *l = cands; l; l = l->next)
        push_local_candidate(self, l->data);
    g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
    /* Still gathering: on_gathering_done queues the end. */
    if (self->gathering_done)
        push_event(self, EVENT_CANDIDATES_DONE, NULL, 0);
    return TRUE;
}

/* ---- remote side ---- */

static gboolean is_ice_chars(const char *s, gsize min, gsize max)
{
    gsize n = 0;
    for (; s[n]; n++) {
        if (n >= max)
            return FALSE;
        if (!g_ascii_isalnum(s[n]) && s[n] != '+' && s[n] != '/')
            return FALSE;
    }
    return n >= min;
}

gboolean cg_ice_agent_set_remote_credentials(CgIceAgent *self, const char *ufrag, const char *pwd,
                                             GError **error)
{
    g_return_val_if_fail(self, FALSE);
    if (!ufrag || !is_ice_chars(ufrag, CG_ICE_MIN_UFRAG_LEN, CG_ICE_MAX_CREDENTIAL_LEN) || !pwd ||
        !is_ice_chars(pwd, CG_ICE_MIN_PWD_LEN, CG_ICE_MAX_CREDENTIAL_LEN)) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_MALFORMED,
                    "remote ICE ufrag or password is malformed");
        return FALSE;
    }
    if (!nice_agent_set_remote_credentials(self->nice, self->stream, ufrag, pwd)) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_FAILED, "libnice refused the credentials");
        return FALSE;
    }
    return TRUE;
}

static gboolean refuse(GError **error, CgIceError code, const char *what)
{
    g_set_error(error, CG_ICE_ERROR, code, "remote candidate refused: %s", what);
    return FALSE;
}

/* libnice's parser takes any text as a number (atoi); check the numeric
 * fields of "candidate:F COMPONENT TRANSPORT PRIORITY ADDR PORT typ TYPE". */
static gboolean fields_are_numbers(const char *value)
{
    g_auto(GStrv) f = g_strsplit(value, " ", 9);
    if (g_strv_length(f) < 8)
        return FALSE;
    return g_ascii_string_to_unsigned(f[1], 10, 1, 256, NULL, NULL) &&
           g_ascii_string_to_unsigned(f[3], 10, 0, G_MAXUINT32, NULL, NULL) &&
           g_ascii_string_to_unsigned(f[5], 10, 0, 65535, NULL, NULL) && !strcmp(f[6], "typ");
}

/* libnice 0.1.21 reads "KEY VALUE" pairs after the first eight fields
 * without checking them: an empty token (two spaces) shifts the pairs, and a
 * TCP candidate without "tcptype" reaches g_ascii_strcasecmp(NULL) (a
 * g_critical, found by fuzz-candidate). So: no empty token, and a TCP line
 * carries exactly one tcptype of active, passive or so. */
static gboolean extension_fields_ok(const char *value)
{
    g_auto(GStrv) tok = g_strsplit(value, " ", -1);
    guint n = g_strv_length(tok), tcptypes = 0;
    for (guint i = 0; i < n; i++)
        if (!tok[i][0])
            return FALSE;
    if (n < 3 || g_ascii_strcasecmp(tok[2], "tcp") != 0)
        return TRUE;
    for (guint i = 8; i + 1 < n; i += 2) {
        if (g_ascii_strcasecmp(tok[i], "tcptype") != 0)
            continue;
        if (g_ascii_strcasecmp(tok[i + 1], "active") != 0 &&
            g_ascii_strcasecmp(tok[i + 1], "passive") != 0 &&
            g_ascii_strcasecmp(tok[i + 1], "so") != 0)
            return FALSE;
        tcptypes++;
    }
    return tcptypes == 1;
}

/* Parses the trimmed a=candidate value @value; NULL + @error if unusable. */
static NiceCandidate *parse_candidate(CgIceAgent *self, const char *value, GError **error)
{
    if (!fields_are_numbers(value)) {
        refuse(error, CG_ICE_ERROR_MALFORMED, "bad field");
        return NULL;
    }
    if (!extension_fields_ok(value)) {
        refuse(error, CG_ICE_ERROR_MALFORMED,
               "bad extension fields (empty, or TCP without one tcptype)");
        return NULL;
    }
    g_autofree char *address = cg_candidate_address(value);
    if (!address) {
        refuse(error, CG_ICE_ERROR_MALFORMED, "no address");
        return NULL;
    }
    const char *why = cg_address_policy_refusal(self->policy, address);
    if (why) {
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_REFUSED, "%s address", why);
        return NULL;
    }
    g_autofree char *line = g_strconcat("a=", value, NULL);
    NiceCandidate *cand = nice_agent_parse_remote_candidate_sdp(self->nice, self->stream, line);
    if (!cand) {
        refuse(error, CG_ICE_ERROR_MALFORMED, "does not parse");
        return NULL;
    }
    if (cand->component_id != COMPONENT) {
        nice_candidate_free(cand);
        refuse(error, CG_ICE_ERROR_MALFORMED, "not component 1 (rtcp-mux)");
        return NULL;
    }
    /* Port 0 is only meaningful for an active TCP
     * candidate, which is never probed. */
    guint port = nice_address_get_port(&cand->addr);
    if (cand->transport != NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE && port == 0) {
        nice_candidate_free(cand);
        refuse(error, CG_ICE_ERROR_MALFORMED, "port 0");
        return NULL;
    }
    /* What libnice will probe, in case its parser reads the address
     * differently from ours (it takes "127.000.0.1", say). */
    char parsed[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&cand->addr, parsed);
    why = cg_address_policy_refusal(self->policy, parsed);
    if (why) {
        nice_candidate_free(cand);
        g_set_error(error, CG_ICE_ERROR, CG_ICE_ERROR_REFUSED, "%s address", why);
        return NULL;
    }
    return cand;
}

gboolean cg_ice_agent_add_remote_candidate(CgIceAgent *self, const char *candidate, GError **error)
{
    g_return_val_if_fail(self, FALSE);
    if (!candidate)
        return refuse(error, CG_ICE_ERROR_MALFORMED, "empty");
    if (strnlen(candidate, CG_MEDIA_MAX_CANDIDATE_BYTES + 1) > CG_MEDIA_MAX_CANDIDATE_BYTES)
        return refuse(error, CG_ICE_ERROR_LIMIT, "line too long");
    if (self->n_remote_candidates >= CG_MEDIA_MAX_REMOTE_CANDIDATES)
        return refuse(error, CG_ICE_ERROR_LIMIT, "too many candidates");
    g_autofree char *value = g_strstrip(g_strdup(candidate));
    const char *v = g_str_has_prefix(value, "a=") ? value + 2 : value;
    if (!g_str_has_prefix(v, "candidate:"))
        return refuse(error, CG_ICE_ERROR_MALFORMED, "not a candidate line");

    NiceCandidate *cand = parse_candidate(self, v, error);
    if (!cand)
        return FALSE;
    GSList one = {.data = cand, .next = NULL};
    int added = nice_agent_set_remote_candidates(self->nice, self->stream, COMPONENT, &one);
    nice_candidate_free(cand);
    if (added < 0)
        return refuse(error, CG_ICE_ERROR_FAILED, "libnice refused it");
    self->n_remote_candidates++;
    return TRUE;
}

void cg_ice_agent_remote_end_of_candidates(CgIceAgent *self)
{
    g_return_if_fail(self);
    nice_agent_peer_candidate_gathering_done(self->nice, self->stream);
}

/* ---- data ---- */

gboolean cg_ice_agent_send(CgIceAgent *self, const guint8 *datagram, gsize len)
{
    g_return_val_if_fail(self && (datagram || !len), FALSE);
    if (len == 0 || len > CG_ICE_MAX_DATAGRAM_BYTES || self->state != CG_ICE_STATE_CONNECTED)
        return FALSE;
    /* Non-blocking: libnice drops (UDP) or queues (TCP) what the socket won't take. */
    return nice_agent_send(self->nice, self->stream, COMPONENT, (guint)len,
                           (const gchar *)datagram) == (gint)len;
}

CgIceState cg_ice_agent_get_state(const CgIceAgent *self)
{
    g_return_val_if_fail(self, CG_ICE_STATE_FAILED);
    return self->state;
}

static void format_candidate(GString *out, const NiceCandidate *cand)
{
    char ip[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(&cand->addr, ip);
    guint port = nice_address_get_port(&cand->addr);
    if (strchr(ip, ':'))
        g_string_append_printf(out, "[%s]:%u", ip, port);
    else
        g_string_append_printf(out, "%s:%u", ip, port);
}

char *cg_ice_agent_selected_pair(CgIceAgent *self)
{
    g_return_val_if_fail(self, NULL);
    NiceCandidate *local = NULL, *remote = NULL;
    if (!nice_agent_get_selected_pair(self->nice, self->stream, COMPONENT, &local, &remote) ||
        !local || !remote)
        return NULL;
    GString *out = g_string_new(local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp " : "tcp ");
    format_candidate(out, local);
    g_string_append(out, " -> ");
    format_candidate(out, remote);
    return g_string_free(out, FALSE);
}

gint64 cg_ice_agent_last_receive_us(const CgIceAgent *self)
{
    g_return_val_if_fail(self, 0);
    return self->last_receive_us;
}
