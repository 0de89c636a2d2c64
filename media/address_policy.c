#include "address_policy.h"

#include <gio/gio.h>
#include <string.h>

struct _CgAddressPolicy {
    GPtrArray *allowed; /* GInetAddressMask */
};

/* Reserved ranges GInetAddress has no predicate for. */
static const struct {
    const char *network;
    const char *why;
} reserved[] = {
    {"0.0.0.0/8", "reserved"},         {"100.64.0.0/10", "shared (carrier NAT)"},
    {"192.0.0.0/24", "reserved"},      {"198.18.0.0/15", "reserved (benchmarking)"},
    {"240.0.0.0/4", "reserved"},       {"fc00::/7", "private"},
    {"64:ff9b:1::/48", "reserved"},    {"2001:db8::/32", "reserved (documentation)"},
};

CgAddressPolicy *cg_address_policy_new(const char *const *allowed_networks, GError **error)
{
    CgAddressPolicy *policy = g_new0(CgAddressPolicy, 1);
    policy->allowed = g_ptr_array_new_with_free_func(g_object_unref);
    for (guint i = 0; allowed_networks && allowed_networks[i]; i++) {
        GInetAddressMask *mask = g_inet_address_mask_new_from_string(allowed_networks[i], error);
        if (!mask) {
            cg_address_policy_free(policy);
            return NULL;
        }
        g_ptr_array_add(policy->allowed, mask);
    }
    return policy;
}

void cg_address_policy_free(CgAddressPolicy *policy)
{
    if (!policy)
        return;
    g_ptr_array_unref(policy->allowed);
    g_free(policy);
}

static gboolean in_network(GInetAddress *address, const char *network)
{
    g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string(network, NULL);
    return mask && g_inet_address_mask_matches(mask, address);
}

static const char *classify(GInetAddress *a)
{
    if (g_inet_address_get_is_any(a))
        return "unspecified";
    if (g_inet_address_get_is_loopback(a))
        return "loopback";
    if (g_inet_address_get_is_link_local(a))
        return "link-local";
    if (g_inet_address_get_is_site_local(a))
        return "private";
    if (g_inet_address_get_is_multicast(a) || in_network(a, "255.255.255.255/32"))
        return "multicast or broadcast";
    for (gsize i = 0; i < G_N_ELEMENTS(reserved); i++)
        if (in_network(a, reserved[i].network))
            return reserved[i].why;
    return NULL;
}

const char *cg_address_policy_refusal(const CgAddressPolicy *policy, const char *ip)
{
    g_autoptr(GInetAddress) address = ip ? g_inet_address_new_from_string(ip) : NULL;
    if (!address)
        return "not an IP address";
    const char *why = classify(address);
    if (!why)
        return NULL;
    for (guint i = 0; i < policy->allowed->len; i++)
        if (g_inet_address_mask_matches(g_ptr_array_index(policy->allowed, i), address))
            return NULL;
    return why;
}

char *cg_candidate_address(const char *candidate)
{
    if (!candidate)
        return NULL;
    if (g_str_has_prefix(candidate, "a="))
        candidate += 2;
    if (!g_str_has_prefix(candidate, "candidate:"))
        return NULL;
    g_auto(GStrv) tok = g_strsplit(candidate, " ", 7);
    return g_strv_length(tok) >= 6 ? g_strdup(tok[4]) : NULL;
}

char *cg_address_policy_filter_sdp(const CgAddressPolicy *policy, const char *sdp,
                                   guint *n_removed)
{
    GString *out = g_string_sized_new(strlen(sdp));
    guint removed = 0;
    const char *line = sdp;
    while (*line) {
        const char *end = strstr(line, "\n");
        gsize len = end ? (gsize)(end - line) + 1 : strlen(line);
        if (g_str_has_prefix(line, "a=candidate:")) {
            g_autofree char *text = g_strndup(line, len);
            g_autofree char *address = cg_candidate_address(g_strstrip(text));
            if (cg_address_policy_refusal(policy, address)) {
                removed++;
                line += len;
                continue;
            }
        }
        g_string_append_len(out, line, (gssize)len);
        line += len;
    }
    if (n_removed)
        *n_removed = removed;
    return g_string_free(out, FALSE);
}
