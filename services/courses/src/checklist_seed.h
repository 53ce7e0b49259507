#pragma once

// The welcome checklists every tenant starts with: SEO, Facebook and Instagram. They are not
// copied into Redis when a tenant is created; reads overlay them on the tenant's own
// checklists, and the first edit (or deletion) of one copies it into the tenant, which from
// then on owns its version. Changing the text here therefore changes it for every tenant that
// has not edited it — keep item ids stable, since employees' ticks refer to them.

#include <string_view>
#include <vector>

#include "advocacy/courses/v1/courses.pb.h"

namespace advocacy::courses {

// The welcome checklists with revision 1, welcome = true and no tenant id, sorted by id.
const std::vector<v1::Checklist>& WelcomeChecklists();

// The welcome checklist with this id, or nullptr.
const v1::Checklist* FindWelcomeChecklist(std::string_view checklist_id);

}  // namespace advocacy::courses
