/* sdp.c — see sdp.h: reading an endpoint's SDP into the model. Writing
 * consultd's own descriptions and checking answers is sdp_write.c. */
#include "sdp.h"

#include "ice_agent.h"
#include "media.h"

#include <gst/sdp/sdp.h>
#include <string.h>

/* ---- small readers ---------------------------------------------------- */

/* What follows the first space of @value, or "". */
static const char *after_space(const char *value)
{
    const char *sp = value ? strchr(value, ' ') : NULL;
    return sp ? sp + 1 : "";
}

static gboolean has_format(const GstSDPMedia *m, int pt)
{
    for (guint i = 0; i < gst_sdp_media_formats_len(m); i++)
        if (cg_sdp_attr_payload(gst_sdp_media_get_format(m, i)) == pt)
            return TRUE;
    return FALSE;
}

/* The value of @key in "a=1;key=v;b" (fmtp parameters), or NULL. */
static char *fmtp_param(const char *params, const char *key)
{
    g_auto(GStrv) parts = g_strsplit(params, ";", -1);
    gsize klen = strlen(key);
    for (guint i = 0; parts[i]; i++) {
        const char *p = g_strstrip(parts[i]);
        if (g_ascii_strncasecmp(p, key, klen) == 0 && p[klen] == '=')
            return g_strdup(p + klen + 1);
    }
    return NULL;
}

static CgSdpSetup setup_from(const char *v)
{
    if (g_strcmp0(v, "actpass") == 0)
        return CG_SDP_SETUP_ACTPASS;
    if (g_strcmp0(v, "active") == 0)
        return CG_SDP_SETUP_ACTIVE;
    if (g_strcmp0(v, "passive") == 0)
        return CG_SDP_SETUP_PASSIVE;
    return CG_SDP_SETUP_NONE;
}

static gboolean trickle_in(const char *options)
{
    g_auto(GStrv) opts = g_strsplit(options ? options : "", " ", -1);
    return g_strv_contains((const char *const *)opts, "trickle");
}

/* ---- parsing ---------------------------------------------------------- */

/* Session-level values an m-line inherits when it has none. */
typedef struct {
    const char *ufrag, *pwd;
    gboolean trickle;
    CgSdpSetup setup;
} SessionDefaults;

typedef struct {
    CgSdpMedia *m;
    GPtrArray *candidates;
    guint *n_candidates; /* over the whole description */
    guint index;
} MediaReader;

static void read_rtpmap(CgSdpCodec *c, const char *rest)
{
    g_auto(GStrv) p = g_strsplit(rest, "/", 3);
    if (!p[0] || !p[1])
        return;
    c->clock_rate = (guint)g_ascii_strtoull(p[1], NULL, 10);
    c->channels = p[2] ? (guint)g_ascii_strtoull(p[2], NULL, 10) : 0;
}

static guint feedback_from(const char *rest)
{
    static const struct {
        const char *name;
        CgSdpFeedback flag;
    } fb[] = {{"nack", CG_SDP_FB_NACK},
              {"nack pli", CG_SDP_FB_PLI},
              {"ccm fir", CG_SDP_FB_FIR},
              {"goog-remb", CG_SDP_FB_REMB},
              {"transport-cc", CG_SDP_FB_TRANSPORT_CC}};
    for (guint i = 0; i < G_N_ELEMENTS(fb); i++)
        if (g_ascii_strcasecmp(rest, fb[i].name) == 0)
            return fb[i].flag;
    return 0;
}

/* The chosen codec: the policy left only Opus/VP8 formats, in offer order. */
static void read_codec(const GstSDPMedia *filtered, CgSdpCodec *c)
{
    c->rtx_pt = -1;
    gboolean bundle_only = gst_sdp_media_get_attribute_val(filtered, "bundle-only") != NULL;
    if ((gst_sdp_media_get_port(filtered) == 0 && !bundle_only) ||
        gst_sdp_media_formats_len(filtered) == 0)
        return;
    int pt = cg_sdp_attr_payload(gst_sdp_media_get_format(filtered, 0));
    if (pt < 0)
        return;
    for (guint i = 0; i < gst_sdp_media_attributes_len(filtered); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(filtered, i);
        gboolean wildcard = a->value && g_str_has_prefix(a->value, "* ");
        if (!wildcard && cg_sdp_attr_payload(a->value) != pt)
            continue;
        const char *rest = after_space(a->value);
        if (g_strcmp0(a->key, "rtpmap") == 0 && !wildcard)
            read_rtpmap(c, rest);
        else if (g_strcmp0(a->key, "fmtp") == 0 && !wildcard && !c->fmtp && *rest)
            c->fmtp = g_strdup(rest);
        else if (g_strcmp0(a->key, "rtcp-fb") == 0)
            c->feedback |= feedback_from(rest);
    }
    c->present = c->clock_rate > 0;
    c->pt = (guint)pt;
}

/* What the policy removed: the RTX payload type of the codec and the FID group. */
static void read_removed(const GstSDPMedia *raw, CgSdpMedia *m)
{
    for (guint i = 0; i < gst_sdp_media_attributes_len(raw); i++) {
        const GstSDPAttribute *a = gst_sdp_media_get_attribute(raw, i);
        const char *rest = after_space(a->value);
        int pt = cg_sdp_attr_payload(a->value);
        if (m->codec.present && m->codec.rtx_pt < 0 && g_strcmp0(a->key, "fmtp") == 0 && pt >= 0 &&
            has_format(raw, pt)) {
            g_autofree char *apt = fmtp_param(rest, "apt");
            g_autofree char *want = g_strdup_printf("%u", m->codec.pt);
            g_autofree char *rtpmap = g_strdup_printf("%d rtx/", pt);
            gboolean is_rtx = FALSE;
            for (guint j = 0; j < gst_sdp_media_attributes_len(raw); j++) {
                const GstSDPAttribute *b = gst_sdp_media_get_attribute(raw, j);
                if (g_strcmp0(b->key, "rtpmap") == 0 && b->value &&
                    g_ascii_strncasecmp(b->value, rtpmap, strlen(rtpmap)) == 0)
                    is_rtx = TRUE;
            }
            if (is_rtx && g_strcmp0(apt, want) == 0)
                m->codec.rtx_pt = pt;
        } else if (g_strcmp0(a->key, "ssrc-group") == 0 && m->fid_media == 0 &&
                   g_str_has_prefix(a->value ? a->value : "", "FID ")) {
            g_auto(GStrv) p = g_strsplit(a->value + 4, " ", 3);
            guint64 s1 = 0, s2 = 0;
            if (p[0] && p[1] && g_ascii_string_to_unsigned(p[0], 10, 1, G_MAXUINT32, &s1, NULL) &&
                g_ascii_string_to_unsigned(p[1], 10, 1, G_MAXUINT32, &s2, NULL)) {
                m->fid_media = (guint32)s1;
                m->fid_rtx = (guint32)s2;
            }
        }
    }
}

static gboolean read_extmap(CgSdpMedia *m, const char *value, guint index, GError **error)
{
    g_auto(GStrv) p = g_strsplit(value ? value : "", " ", 3);
    if (!p[0] || !p[1])
        return TRUE; /* malformed: ignored, it is only an offer to use it */
    char *slash = strchr(p[0], '/');
    if (slash)
        *slash = '\0'; /* "1/sendonly": the direction is not used */
    guint64 id = 0;
    if (!g_ascii_string_to_unsigned(p[0], 10, 1, 255, &id, NULL))
        return TRUE;
    if (m->n_extmaps == CG_SDP_MAX_EXTMAPS) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "m-line %u has more than %u a=extmap lines", index, CG_SDP_MAX_EXTMAPS);
        return FALSE;
    }
    m->extmaps[m->n_extmaps].id = (guint)id;
    m->extmaps[m->n_extmaps].uri = g_strdup(p[1]);
    m->n_extmaps++;
    return TRUE;
}

static gboolean read_ssrc(CgSdpMedia *m, const char *value, guint index, GError **error)
{
    char *end = NULL;
    if (!value || !g_ascii_isdigit(value[0]))
        return TRUE;
    guint64 ssrc = g_ascii_strtoull(value, &end, 10);
    if (ssrc == 0 || ssrc > G_MAXUINT32 || *end != ' ')
        return TRUE; /* malformed: ignored */
    CgSdpSsrc *s = NULL;
    for (guint i = 0; i < m->n_ssrcs && !s; i++)
        if (m->ssrcs[i].ssrc == ssrc)
            s = &m->ssrcs[i];
    if (!s) {
        if (m->n_ssrcs == CG_SDP_MAX_SSRCS) {
            g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                        "m-line %u has more than %u SSRCs", index, CG_SDP_MAX_SSRCS);
            return FALSE;
        }
        s = &m->ssrcs[m->n_ssrcs++];
        s->ssrc = (guint32)ssrc;
    }
    const char *attr = end + 1;
    if (g_str_has_prefix(attr, "cname:") && !s->cname) {
        s->cname = g_strdup(attr + 6);
    } else if (g_str_has_prefix(attr, "msid:") && !s->msid_stream) {
        g_auto(GStrv) p = g_strsplit(attr + 5, " ", 2);
        s->msid_stream = g_strdup(p[0]);
        s->msid_track = g_strdup(p[0] ? p[1] : NULL);
    }
    return TRUE;
}

static gboolean read_candidate(MediaReader *r, const char *value, GError **error)
{
    gsize len = strlen(value ? value : "") + strlen("candidate:");
    if (len > CG_MEDIA_MAX_CANDIDATE_BYTES || *r->n_candidates == CG_MEDIA_MAX_REMOTE_CANDIDATES) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_LIMIT,
                    "the SDP has more than %u candidates or one longer than %u bytes",
                    CG_MEDIA_MAX_REMOTE_CANDIDATES, CG_MEDIA_MAX_CANDIDATE_BYTES);
        return FALSE;
    }
    (*r->n_candidates)++;
    g_ptr_array_add(r->candidates, g_strconcat("candidate:", value ? value : "", NULL));
    return TRUE;
}

static gboolean read_attribute(MediaReader *r, const GstSDPAttribute *a, GError **error)
{
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
    CgSdpMedia *m = r->m;
    const char *k = a->key, *v = a->value;
    for (guint d = 0; d < G_N_ELEMENTS(dirs); d++)
        if (g_strcmp0(k, dirs[d]) == 0)
            m->direction = (CgSdpDirection)d;
    if (g_strcmp0(k, "mid") == 0 && !m->mid && v && *v)
        m->mid = g_strdup(v);
    else if (g_strcmp0(k, "ice-ufrag") == 0 && !m->ice_ufrag)
        m->ice_ufrag = g_strdup(v ? v : "");
    else if (g_strcmp0(k, "ice-pwd") == 0 && !m->ice_pwd)
        m->ice_pwd = g_strdup(v ? v : "");
    else if (g_strcmp0(k, "ice-options") == 0)
        m->ice_trickle = m->ice_trickle || trickle_in(v);
    else if (g_strcmp0(k, "setup") == 0)
        m->setup = setup_from(v);
    else if (g_strcmp0(k, "rtcp-mux") == 0)
        m->rtcp_mux = TRUE;
    else if (g_strcmp0(k, "end-of-candidates") == 0)
        m->end_of_candidates = TRUE;
    else if (g_strcmp0(k, "candidate") == 0)
        return read_candidate(r, v, error);
    else if (g_strcmp0(k, "extmap") == 0)
        return read_extmap(m, v, r->index, error);
    else if (g_strcmp0(k, "ssrc") == 0)
        return read_ssrc(m, v, r->index, error);
    else if (g_strcmp0(k, "msid") == 0 && !m->msid_stream && v && *v) {
        g_auto(GStrv) p = g_strsplit(v, " ", 2);
        m->msid_stream = g_strdup(p[0]);
        m->msid_track = g_strdup(p[1]);
    }
    return TRUE;
}

static CgSdpKind kind_from(const char *media)
{
    if (g_strcmp0(media, "audio") == 0)
        return CG_SDP_KIND_AUDIO;
    if (g_strcmp0(media, "video") == 0)
        return CG_SDP_KIND_VIDEO;
    return CG_SDP_KIND_OTHER;
}

static gboolean read_media(const GstSDPMedia *filtered, const GstSDPMedia *raw,
                           const SessionDefaults *def, MediaReader *r, GError **error)
{
    CgSdpMedia *m = r->m;
    m->kind = kind_from(gst_sdp_media_get_media(raw));
    m->media_type = g_strdup(gst_sdp_media_get_media(raw));
    m->proto = g_strdup(gst_sdp_media_get_proto(raw));
    m->first_format =
        g_strdup(gst_sdp_media_formats_len(raw) ? gst_sdp_media_get_format(raw, 0) : "0");
    m->rejected = gst_sdp_media_get_port(raw) == 0 &&
                  !gst_sdp_media_get_attribute_val(raw, "bundle-only"); /* RFC 8843 7.2 */
    m->ice_trickle = def->trickle;
    m->setup = def->setup;
    for (guint i = 0; i < gst_sdp_media_attributes_len(filtered); i++)
        if (!read_attribute(r, gst_sdp_media_get_attribute(filtered, i), error))
            return FALSE;
    if (!m->ice_ufrag && def->ufrag)
        m->ice_ufrag = g_strdup(def->ufrag);
    if (!m->ice_pwd && def->pwd)
        m->ice_pwd = g_strdup(def->pwd);
    if (!m->msid_stream && m->n_ssrcs > 0 && m->ssrcs[0].msid_stream) {
        m->msid_stream = g_strdup(m->ssrcs[0].msid_stream);
        m->msid_track = g_strdup(m->ssrcs[0].msid_track);
    }
    if (m->kind != CG_SDP_KIND_OTHER)
        read_codec(filtered, &m->codec);
    else
        m->codec.rtx_pt = -1;
    read_removed(raw, m);
    if (!cg_sdp_media_usable(m))
        return TRUE;
    gsize ul = m->ice_ufrag ? strlen(m->ice_ufrag) : 0, pl = m->ice_pwd ? strlen(m->ice_pwd) : 0;
    if (ul < CG_ICE_MIN_UFRAG_LEN || ul > CG_ICE_MAX_CREDENTIAL_LEN || pl < CG_ICE_MIN_PWD_LEN ||
        pl > CG_ICE_MAX_CREDENTIAL_LEN) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP,
                    "m-line %u has no (or malformed) a=ice-ufrag/a=ice-pwd", r->index);
        return FALSE;
    }
    return TRUE;
}

static void read_session(const GstSDPMessage *msg, CgSdp *out, SessionDefaults *def)
{
    for (guint i = 0; i < gst_sdp_message_attributes_len(msg); i++) {
        const GstSDPAttribute *a = gst_sdp_message_get_attribute(msg, i);
        const char *v = a->value ? a->value : "";
        if (g_strcmp0(a->key, "group") == 0 && g_str_has_prefix(v, "BUNDLE") && !out->bundle_mids)
            out->bundle_mids = g_strsplit_set(v + strlen("BUNDLE"), " ", -1);
        else if (g_strcmp0(a->key, "ice-lite") == 0)
            out->ice_lite = TRUE;
        else if (g_strcmp0(a->key, "ice-ufrag") == 0 && !def->ufrag)
            def->ufrag = v;
        else if (g_strcmp0(a->key, "ice-pwd") == 0 && !def->pwd)
            def->pwd = v;
        else if (g_strcmp0(a->key, "ice-options") == 0)
            def->trickle = def->trickle || trickle_in(v);
        else if (g_strcmp0(a->key, "setup") == 0)
            def->setup = setup_from(v);
    }
    /* "BUNDLE 0 1" split on spaces leaves empty strings: drop them */
    GPtrArray *mids = g_ptr_array_new();
    for (guint i = 0; out->bundle_mids && out->bundle_mids[i]; i++)
        if (*out->bundle_mids[i])
            g_ptr_array_add(mids, g_strdup(out->bundle_mids[i]));
    g_ptr_array_add(mids, NULL);
    g_strfreev(out->bundle_mids);
    out->bundle_mids = (GStrv)g_ptr_array_free(mids, FALSE);
}

CgSdp *cg_sdp_parse(const char *sdp, gsize len, GError **error)
{
    CgSdpFingerprint fp = {0};
    g_autofree char *filtered = cg_sdp_policy_apply(sdp, len, &fp, error);
    if (!filtered)
        return NULL;
    g_autoptr(CgSdp) out = g_new0(CgSdp, 1);
    out->fingerprint = fp;
    g_autofree char *text = g_strndup(sdp, len);
    g_autoptr(GstSDPMessage) raw = NULL;
    g_autoptr(GstSDPMessage) msg = NULL;
    /* both parsed once already by the policy; m-line counts and order agree */
    if (gst_sdp_message_new_from_text(text, &raw) != GST_SDP_OK ||
        gst_sdp_message_new_from_text(filtered, &msg) != GST_SDP_OK ||
        gst_sdp_message_medias_len(raw) != gst_sdp_message_medias_len(msg)) {
        g_set_error(error, CG_MEDIA_ERROR, CG_MEDIA_ERROR_BAD_SDP, "the SDP does not parse");
        return NULL;
    }
    SessionDefaults def = {0};
    read_session(msg, out, &def);
    guint n_candidates = 0;
    for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
        g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func(g_free);
        MediaReader r = {&out->media[i], cands, &n_candidates, i};
        out->n_media = i + 1; /* so that free sees this m-line whatever happens */
        gboolean ok = read_media(gst_sdp_message_get_media(msg, i),
                                 gst_sdp_message_get_media(raw, i), &def, &r, error);
        g_ptr_array_add(cands, NULL);
        out->media[i].candidates = (GStrv)g_ptr_array_steal(cands, NULL);
        if (!ok)
            return NULL;
    }
    return g_steal_pointer(&out);
}

static void media_clear(CgSdpMedia *m)
{
    g_free(m->media_type);
    g_free(m->proto);
    g_free(m->first_format);
    g_free(m->mid);
    g_free(m->codec.fmtp);
    for (guint i = 0; i < m->n_extmaps; i++)
        g_free(m->extmaps[i].uri);
    for (guint i = 0; i < m->n_ssrcs; i++) {
        g_free(m->ssrcs[i].cname);
        g_free(m->ssrcs[i].msid_stream);
        g_free(m->ssrcs[i].msid_track);
    }
    g_free(m->msid_stream);
    g_free(m->msid_track);
    g_free(m->ice_ufrag);
    g_free(m->ice_pwd);
    g_strfreev(m->candidates);
}

void cg_sdp_free(CgSdp *sdp)
{
    if (!sdp)
        return;
    for (guint i = 0; i < sdp->n_media; i++)
        media_clear(&sdp->media[i]);
    g_strfreev(sdp->bundle_mids);
    cg_sdp_fingerprint_clear(&sdp->fingerprint);
    g_free(sdp);
}

gboolean cg_sdp_media_usable(const CgSdpMedia *m)
{
    return m && !m->rejected && m->kind != CG_SDP_KIND_OTHER && m->codec.present;
}

guint cg_sdp_media_extmap_id(const CgSdpMedia *m, const char *uri)
{
    for (guint i = 0; m && i < m->n_extmaps; i++)
        if (g_strcmp0(m->extmaps[i].uri, uri) == 0)
            return m->extmaps[i].id;
    return 0;
}
