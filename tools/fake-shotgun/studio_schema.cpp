#include "studio_schema.hpp"

#include <boost/json.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace sgcache::fake_shotgun {

namespace json = boost::json;

namespace {

// One row of the table below. Only what differs between fields is written out; the FIELD
// object is filled in by make_field in the shape of a current site (with visible,
// ui_value_displayable and custom_metadata, which the old mockgun schema lacks).
struct spec {
    std::string_view name;
    std::string_view display;
    std::string_view type;
    std::vector<std::string_view> valid = {};  // valid_types for links, valid_values for lists
    json::value default_value = nullptr;
    bool editable = true;
    bool mandatory = false;
    bool unique = false;
};

// Display strings of the status codes used below (status_list display_values).
constexpr std::pair<std::string_view, std::string_view> status_names[] = {
    {"wtg", "Waiting to Start"}, {"rdy", "Ready to Start"}, {"ip", "In Progress"},
    {"rev", "Pending Review"},   {"fin", "Final"},          {"hld", "On Hold"},
    {"omt", "Omit"},             {"na", "N/A"},             {"vwd", "Viewed"},
    {"apr", "Approved"},         {"act", "Active"},         {"dis", "Disabled"},
    {"opn", "Open"},             {"clsd", "Closed"},        {"cmpt", "Complete"},
};

json::object wrapped(json::value v, bool editable) {
    return json::object{{"value", std::move(v)}, {"editable", editable}};
}

json::value make_field(std::string_view type, const spec& s) {
    json::object props;
    props["default_value"] = wrapped(s.default_value, false);
    props["summary_default"] = wrapped("none", true);
    json::array valid;
    for (auto v : s.valid) valid.emplace_back(v);
    if (s.type == "entity" || s.type == "multi_entity") {
        props["valid_types"] = wrapped(valid, true);
    } else if (s.type == "tag_list") {
        props["valid_types"] = wrapped(json::array{"Tag"}, true);
    } else if (s.type == "list") {
        props["valid_values"] = wrapped(valid, true);
    } else if (s.type == "status_list") {
        props["valid_values"] = wrapped(valid, true);
        json::object display;
        for (auto v : s.valid) {
            std::string_view shown = v;
            for (const auto& [code, text] : status_names) {
                if (code == v) shown = text;
            }
            display[v] = shown;
        }
        props["display_values"] = wrapped(std::move(display), false);
        props["hidden_values"] = wrapped(json::array{}, false);
    } else if (s.type == "url") {
        props["open_in_new_window"] = wrapped(true, true);
    }
    json::object f;
    f["name"] = wrapped(json::string(s.display), true);
    f["description"] = wrapped("", true);
    f["entity_type"] = wrapped(json::string(type), false);
    f["data_type"] = wrapped(json::string(s.type), false);
    f["editable"] = wrapped(s.editable, false);
    f["mandatory"] = wrapped(s.mandatory, false);
    f["unique"] = wrapped(s.unique, false);
    f["visible"] = wrapped(true, false);
    f["ui_value_displayable"] = wrapped(true, false);
    f["custom_metadata"] = wrapped("", true);
    f["properties"] = std::move(props);
    return f;
}

// Fields every entity type of a site carries.
std::vector<spec> common_fields() {
    return {
        {"id", "Id", "number", {}, nullptr, false},
        {"created_at", "Date Created", "date_time", {}, nullptr, false},
        {"created_by", "Created by", "entity", {"HumanUser", "ApiUser"}, nullptr, false},
        {"updated_at", "Date Updated", "date_time", {}, nullptr, false},
        {"updated_by", "Updated by", "entity", {"HumanUser", "ApiUser"}, nullptr, false},
        {"cached_display_name", "Cached Display Name", "text", {}, nullptr, false},
    };
}

struct type_spec {
    std::string_view name;
    std::string_view display;
    std::vector<spec> fields = {};
    bool common = true;  // add common_fields()
};

const std::vector<std::string_view> shot_status{"wtg", "rdy", "ip", "rev", "fin", "hld", "omt"};
const std::vector<std::string_view> task_status{"wtg", "rdy", "ip",  "rev",
                                                "fin", "hld", "omt", "na"};

std::vector<type_spec> studio_types() {
    return {
        {"Project",
         "Project",
         {
             {"name", "Project Name", "text", {}, nullptr, true, true, true},
             {"code", "Code", "text"},
             {"sg_status", "Status", "list", {"Active", "Bidding", "Demo", "Lost", "Archive"}},
             {"sg_type", "Type", "list", {"Feature", "Episodic", "Commercial", "Game Cinematic"}},
             {"sg_description", "Description", "text"},
             {"start_date", "Start Date", "date"},
             {"end_date", "End Date", "date"},
             {"archived", "Archived", "checkbox", {}, false},
             {"color", "Color", "color"},
             {"users", "Users", "multi_entity", {"HumanUser"}},
             {"tank_name", "Tank Name", "text"},
             {"billboard", "Billboard", "url"},
             {"sg_frame_rate", "Frame Rate", "float", {}, 24.0},
             {"duration", "Duration", "number"},
             {"tracking_settings", "Tracking Settings", "serializable"},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"HumanUser",
         "Person",
         {
             {"name", "Name", "text"},
             {"firstname", "First Name", "text"},
             {"lastname", "Last Name", "text"},
             {"login", "Login", "text", {}, nullptr, true, true, true},
             {"email", "Email", "text"},
             {"sg_status_list", "Status", "status_list", {"act", "dis"}, "act"},
             {"projects", "Projects", "multi_entity", {"Project"}},
             {"department_name", "Department", "list",
              {"Animation", "Comp", "FX", "Lighting", "Modeling", "Production", "Rigging"}},
             {"password_proxy", "Password", "password"},
             {"locked_until", "Locked Until", "date_time"},
             {"file_access", "File Access", "checkbox", {}, false},
             {"sg_hourly_rate", "Hourly Rate", "float"},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"ApiUser",
         "Script",
         {
             {"firstname", "Script Name", "text", {}, nullptr, true, true},
             {"lastname", "Version", "text"},
             {"description", "Description", "text"},
             {"email", "Maintainer Email", "text"},
             {"generate_event_log_entries", "Generate Events", "checkbox", {}, true},
             {"salted_password", "Application Key", "text", {}, nullptr, false},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Step",
         "Pipeline Step",
         {
             {"code", "Step Name", "text", {}, nullptr, true, true},
             {"short_name", "Short Name", "text"},
             {"description", "Description", "text"},
             {"color", "Color", "color"},
             {"entity_type", "Entity Type", "entity_type"},
             {"list_order", "Order", "number"},
         }},
        {"Sequence",
         "Sequence",
         {
             {"code", "Sequence Name", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"description", "Description", "text"},
             {"sg_status_list", "Status", "status_list", shot_status, "wtg"},
             {"sg_sequence_type", "Type", "list", {"Action", "Dialogue", "Establishing", "Montage"}},
             {"shots", "Shots", "multi_entity", {"Shot"}},
             {"assets", "Assets", "multi_entity", {"Asset"}},
             {"tasks", "Tasks", "multi_entity", {"Task"}},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Shot",
         "Shot",
         {
             {"code", "Shot Code", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"sg_sequence", "Sequence", "entity", {"Sequence"}},
             {"description", "Description", "text"},
             {"sg_status_list", "Status", "status_list", shot_status, "wtg"},
             {"sg_shot_type", "Type", "list", {"Action", "Insert", "Plate", "VFX", "CG"}},
             {"sg_cut_in", "Cut In", "number"},
             {"sg_cut_out", "Cut Out", "number"},
             {"sg_cut_duration", "Cut Duration", "number"},
             {"sg_head_in", "Head In", "number"},
             {"sg_tail_out", "Tail Out", "number"},
             {"sg_cut_order", "Cut Order", "number"},
             {"sg_working_duration", "Working Duration", "duration"},
             {"sg_frame_rate", "Frame Rate", "float"},
             {"sg_completion", "Completion", "percent"},
             {"sg_turnover_date", "Turnover Date", "date"},
             {"sg_plate_received_at", "Plate Received", "date_time"},
             {"sg_camera_data", "Camera Data", "serializable"},
             {"sg_plate_link", "Plate Link", "url"},
             {"sg_color", "Color", "color"},
             {"sg_is_hero", "Hero Shot", "checkbox", {}, false},
             {"assets", "Assets", "multi_entity", {"Asset"}},
             {"tasks", "Tasks", "multi_entity", {"Task"}},
             {"versions", "Versions", "multi_entity", {"Version"}},
             {"published_files", "Published Files", "multi_entity", {"PublishedFile"}},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"filmstrip_image", "Filmstrip Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Asset",
         "Asset",
         {
             {"code", "Asset Name", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"description", "Description", "text"},
             {"sg_status_list", "Status", "status_list", shot_status, "wtg"},
             {"sg_asset_type", "Type", "list",
              {"Character", "Prop", "Environment", "Vehicle", "FX", "Matte Painting"}},
             {"sg_complexity", "Complexity", "list", {"Simple", "Medium", "Complex", "Hero"}},
             {"sg_polycount", "Poly Count", "number"},
             {"shots", "Shots", "multi_entity", {"Shot"}},
             {"sequences", "Sequences", "multi_entity", {"Sequence"}},
             {"parents", "Parent Assets", "multi_entity", {"Asset"}},
             {"assets", "Sub Assets", "multi_entity", {"Asset"}},
             {"tasks", "Tasks", "multi_entity", {"Task"}},
             {"versions", "Versions", "multi_entity", {"Version"}},
             {"published_files", "Published Files", "multi_entity", {"PublishedFile"}},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Task",
         "Task",
         {
             {"content", "Task Name", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"entity", "Link", "entity", {"Asset", "Sequence", "Shot", "Project"}},
             {"step", "Pipeline Step", "entity", {"Step"}},
             {"sg_status_list", "Status", "status_list", task_status, "wtg"},
             {"task_assignees", "Assigned To", "multi_entity", {"HumanUser"}},
             {"start_date", "Start Date", "date"},
             {"due_date", "Due Date", "date"},
             {"duration", "Duration", "duration"},
             {"est_in_mins", "Bid", "duration"},
             {"time_logs_sum", "Time Logged", "duration"},
             {"time_percent_of_est", "Time Logged - % of Bid", "percent"},
             {"color", "Gantt Bar Color", "color", {}, "pipeline_step"},
             {"milestone", "Milestone", "checkbox", {}, false},
             {"sg_priority", "Priority", "list", {"1", "2", "3", "4"}},
             {"sg_description", "Description", "text"},
             {"splits", "Splits", "serializable"},
             {"upstream_tasks", "Upstream Dependency", "multi_entity", {"Task"}},
             {"downstream_tasks", "Downstream Dependency", "multi_entity", {"Task"}},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"sg_versions", "Versions", "multi_entity", {"Version"}},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Version",
         "Version",
         {
             {"code", "Version Name", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"entity", "Link", "entity", {"Asset", "Sequence", "Shot", "Project"}},
             {"sg_task", "Task", "entity", {"Task"}},
             {"user", "Artist", "entity", {"HumanUser", "ApiUser"}},
             {"description", "Description", "text"},
             {"sg_status_list", "Status", "status_list", {"rev", "vwd", "apr", "na"}, "rev"},
             {"sg_version_type", "Type", "list", {"Anim", "Comp", "FX", "Lighting", "Layout"}},
             {"frame_count", "Frame Count", "number"},
             {"frame_range", "Frame Range", "text"},
             {"sg_first_frame", "First Frame", "number"},
             {"sg_last_frame", "Last Frame", "number"},
             {"sg_path_to_frames", "Path to Frames", "text"},
             {"sg_path_to_movie", "Path to Movie", "text"},
             {"sg_uploaded_movie", "Uploaded Movie", "url"},
             {"sg_movie_aspect_ratio", "Movie Aspect Ratio", "float"},
             {"flagged", "Flagged", "checkbox", {}, false},
             {"playlists", "Playlists", "multi_entity", {"Playlist"}},
             {"published_files", "Published Files", "multi_entity", {"PublishedFile"}},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"filmstrip_image", "Filmstrip Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"PublishedFile",
         "Published File",
         {
             {"code", "Published File Name", "text"},
             {"name", "Name", "text"},
             {"project", "Project", "entity", {"Project"}},
             {"entity", "Link", "entity", {"Asset", "Shot"}},
             {"task", "Task", "entity", {"Task"}},
             {"version", "Version", "entity", {"Version"}},
             {"description", "Description", "text"},
             {"sg_status_list", "Status", "status_list", {"wtg", "ip", "cmpt", "na"}, "ip"},
             {"sg_publish_type", "Publish Type", "list",
              {"Alembic Cache", "Maya Scene", "Nuke Script", "Image Sequence", "Movie"}},
             {"path", "Path", "url"},
             {"path_cache", "Path Cache", "text"},
             {"version_number", "Version Number", "number"},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Note",
         "Note",
         {
             {"subject", "Subject", "text"},
             {"content", "Body", "text"},
             {"project", "Project", "entity", {"Project"}},
             {"note_links", "Links", "multi_entity",
              {"Asset", "Playlist", "PublishedFile", "Sequence", "Shot", "Version"}},
             {"tasks", "Tasks", "multi_entity", {"Task"}},
             {"user", "Author", "entity", {"HumanUser", "ApiUser"}},
             {"addressings_to", "To", "multi_entity", {"HumanUser"}},
             {"addressings_cc", "Cc", "multi_entity", {"HumanUser"}},
             {"sg_note_type", "Type", "list", {"Client", "Director", "Internal", "Technical"}},
             {"sg_status_list", "Status", "status_list", {"opn", "ip", "clsd"}, "opn"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"Playlist",
         "Playlist",
         {
             {"code", "Playlist Name", "text", {}, nullptr, true, true},
             {"project", "Project", "entity", {"Project"}},
             {"description", "Description", "text"},
             {"versions", "Versions", "multi_entity", {"Version"}},
             {"sg_date_and_time", "Date and Time", "date_time"},
             {"sg_status", "Status", "status_list", {"opn", "clsd"}, "opn"},
             {"locked", "Locked", "checkbox", {}, false},
             {"notes", "Notes", "multi_entity", {"Note"}},
             {"image", "Thumbnail", "image"},
             {"tag_list", "Tags", "tag_list"},
         }},
        {"EventLogEntry",
         "Event Log Entry",
         {
             // Everything is read-only except what the API may set when it creates custom
             // events (event_type, description, meta, entity, project, attribute_name).
             {"id", "Id", "number", {}, nullptr, false},
             {"event_type", "Event Type", "text"},
             {"attribute_name", "Attribute Name", "text"},
             {"entity", "Link", "entity",
              {"ApiUser", "Asset", "HumanUser", "Note", "Playlist", "Project", "PublishedFile",
               "Sequence", "Shot", "Step", "Task", "Version"}},
             {"meta", "Meta", "serializable"},
             {"project", "Project", "entity", {"Project"}},
             {"user", "Created By", "entity", {"HumanUser", "ApiUser"}, nullptr, false},
             {"session_uuid", "Session Uuid", "uuid", {}, nullptr, false},
             {"created_at", "Date Created", "date_time", {}, nullptr, false},
             {"description", "Description", "text", {}, nullptr, true, true},
             {"cached_display_name", "Cached Display Name", "text", {}, nullptr, false},
             {"image", "Thumbnail", "image", {}, nullptr, false},
             {"filmstrip_image", "Filmstrip Thumbnail", "image", {}, nullptr, false},
         },
         false},
    };
}

}  // namespace

json::value studio_schema_read() {
    json::object out;
    for (const auto& t : studio_types()) {
        json::object fields;
        if (t.common) {
            for (const auto& s : common_fields()) fields[s.name] = make_field(t.name, s);
        }
        for (const auto& s : t.fields) fields[s.name] = make_field(t.name, s);
        out[t.name] = std::move(fields);
    }
    return out;
}

json::value studio_schema_entity_read() {
    json::object out;
    for (const auto& t : studio_types()) {
        out[t.name] = json::object{{"name", wrapped(json::string(t.display), false)},
                                   {"visible", wrapped(true, false)}};
    }
    return out;
}

}  // namespace sgcache::fake_shotgun
