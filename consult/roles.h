/* roles.h — participant roles and consult kinds, and which may meet.
 * Pure; see ../shared/BRIEF.md "Roles and what each may do". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE for specialist, provider, patient, interpreter, observer. */
gboolean cg_role_is_known(const char *role);
/* TRUE for virtual_consult and case_conference. */
gboolean cg_consult_kind_is_known(const char *kind);
/* A case conference never admits the patient role. */
gboolean cg_role_allowed_in_kind(const char *role, const char *kind);
/* Imaging and records are shared by clinicians who lead the consult
 * (specialist, provider), never by patients, interpreters or observers. */
gboolean cg_role_may_share_screen(const char *role);

G_END_DECLS
