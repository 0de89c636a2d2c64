/* unit-address-policy: which remote candidate addresses consultd may probe. */
#include <glib.h>

#include "address_policy.h"

static void test_refusals(void)
{
    static const struct {
        const char *ip;
        const char *why; /* NULL: allowed */
    } cases[] = {
        {"8.8.8.8", NULL},
        {"2606:4700::1111", NULL},
        {"203.0.114.7", NULL},
        {"127.0.0.1", "loopback"},
        {"127.3.2.1", "loopback"},
        {"::1", "loopback"},
        {"10.1.2.3", "private"},
        {"172.16.0.9", "private"},
        {"172.31.255.1", "private"},
        {"192.168.1.20", "private"},
        {"fd12:3456::1", "private"},
        {"169.254.169.254", "link-local"}, /* cloud metadata */
        {"fe80::1", "link-local"},
        {"0.0.0.0", "unspecified"},
        {"::", "unspecified"},
        {"224.0.0.251", "multicast or broadcast"},
        {"255.255.255.255", "multicast or broadcast"},
        {"100.64.1.1", "shared (carrier NAT)"},
        {"240.0.0.1", "reserved"},
        {"abcd-1234.local", "not an IP address"}, /* mDNS: never resolved */
        {"", "not an IP address"},
    };
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(NULL, &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_test_message("%s", cases[i].ip);
        g_assert_cmpstr(cg_address_policy_refusal(policy, cases[i].ip), ==, cases[i].why);
    }
    g_assert_cmpstr(cg_address_policy_refusal(policy, NULL), ==, "not an IP address");
    cg_address_policy_free(policy);
}

static void test_allowed_networks(void)
{
    static const char *const lan[] = {"127.0.0.0/8", "10.20.0.0/16", NULL};
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(lan, &error);
    g_assert_no_error(error);
    g_assert_null(cg_address_policy_refusal(policy, "127.0.0.1"));
    g_assert_null(cg_address_policy_refusal(policy, "10.20.3.4"));
    g_assert_cmpstr(cg_address_policy_refusal(policy, "10.21.3.4"), ==, "private");
    g_assert_cmpstr(cg_address_policy_refusal(policy, "169.254.169.254"), ==, "link-local");
    cg_address_policy_free(policy);

    static const char *const bad[] = {"10.0.0.0/8", "lan", NULL};
    g_assert_null(cg_address_policy_new(bad, &error));
    g_assert_nonnull(error);
}

static void test_candidate_address(void)
{
    g_autofree char *a =
        cg_candidate_address("candidate:1 1 UDP 2122252543 192.168.1.5 50123 typ host");
    g_assert_cmpstr(a, ==, "192.168.1.5");
    g_autofree char *b = cg_candidate_address("a=candidate:2 1 TCP 1 10.0.0.1 9 typ host tcptype active");
    g_assert_cmpstr(b, ==, "10.0.0.1");
    g_assert_null(cg_candidate_address("candidate:1 1 UDP"));
    g_assert_null(cg_candidate_address("hello"));
    g_assert_null(cg_candidate_address(NULL));
}

static void test_filter_sdp(void)
{
    const char *sdp = "v=0\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                      "a=candidate:1 1 UDP 2122252543 192.168.1.5 50123 typ host\r\n"
                      "a=candidate:2 1 UDP 1686052607 198.51.99.7 50123 typ srflx raddr "
                      "192.168.1.5 rport 50123\r\n"
                      "a=candidate:3 1 UDP 2122252543 169.254.169.254 80 typ host\r\n"
                      "a=rtpmap:111 opus/48000/2\r\n";
    g_autoptr(GError) error = NULL;
    CgAddressPolicy *policy = cg_address_policy_new(NULL, &error);
    guint removed = 0;
    g_autofree char *out = cg_address_policy_filter_sdp(policy, sdp, &removed);
    g_assert_cmpuint(removed, ==, 2);
    g_assert_null(g_strstr_len(out, -1, "192.168.1.5 50123 typ host"));
    g_assert_null(g_strstr_len(out, -1, "169.254.169.254"));
    g_assert_nonnull(g_strstr_len(out, -1, "198.51.99.7 50123 typ srflx"));
    g_assert_nonnull(g_strstr_len(out, -1, "a=rtpmap:111 opus/48000/2\r\n"));
    cg_address_policy_free(policy);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/address-policy/refusals", test_refusals);
    g_test_add_func("/address-policy/allowed-networks", test_allowed_networks);
    g_test_add_func("/address-policy/candidate-address", test_candidate_address);
    g_test_add_func("/address-policy/filter-sdp", test_filter_sdp);
    return g_test_run();
}
