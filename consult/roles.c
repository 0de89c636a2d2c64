/* roles.c — see roles.h. */
#include "roles.h"

static const char *const roles[] = {"specialist", "provider", "patient", "interpreter", "observer"};
static const char *const kinds[] = {"virtual_consult", "case_conference"};

static gboolean in_list(const char *value, const char *const *list, gsize n)
{
    for (gsize i = 0; value && i < n; i++)
        if (g_str_equal(value, list[i]))
            return TRUE;
    return FALSE;
}

gboolean cg_role_is_known(const char *role)
{
    return in_list(role, roles, G_N_ELEMENTS(roles));
}

gboolean cg_consult_kind_is_known(const char *kind)
{
    return in_list(kind, kinds, G_N_ELEMENTS(kinds));
}

gboolean cg_role_allowed_in_kind(const char *role, const char *kind)
{
    if (!cg_role_is_known(role) || !cg_consult_kind_is_known(kind))
        return FALSE;
    return !(g_str_equal(kind, "case_conference") && g_str_equal(role, "patient"));
}

gboolean cg_role_may_share_screen(const char *role)
{
    return role && (g_str_equal(role, "specialist") || g_str_equal(role, "provider"));
}
