#include "generator.hpp"

#include "events.hpp"
#include "values.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <vector>

namespace sgcache::fake_shotgun {

namespace {

// splitmix64: tiny, fast, and the same on every platform and standard library (the
// std:: distributions are not), so a seed names one studio everywhere.
class prng {
public:
    explicit prng(std::uint64_t seed) : s_(seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n).
    std::int64_t below(std::int64_t n) { return n <= 1 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
    std::int64_t between(std::int64_t lo, std::int64_t hi) { return lo + below(hi - lo + 1); }
    bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
    template <class T, std::size_t N>
    const T& pick(const std::array<T, N>& a) { return a[static_cast<std::size_t>(below(N))]; }

    /// Index into weights (which need not sum to anything in particular).
    template <std::size_t N>
    std::size_t weighted(const std::array<int, N>& w) {
        int total = 0;
        for (int x : w) total += x;
        auto r = static_cast<int>(below(total));
        for (std::size_t i = 0; i < N; ++i) {
            if (r < w[i]) return i;
            r -= w[i];
        }
        return N - 1;
    }

private:
    std::uint64_t s_;
};

constexpr std::array<std::string_view, 16> project_names{
    "Nightfall", "Paper Moon", "Harbor Lights", "Iron Fields", "Glass City", "Red Canyon",
    "Tidewater", "Silver Lining", "Northern Line", "Wild Orchard", "Stone Garden", "Blue Hour",
    "Last Ember", "Quiet Storm", "Copper Sky", "Deep Current"};
constexpr std::array<std::string_view, 24> first_names{
    "Ada", "Ben", "Chloe", "Dev", "Elena", "Femi", "Gita", "Hugo", "Ines", "Jonas", "Kai", "Lea",
    "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Yuki"};
constexpr std::array<std::string_view, 20> last_names{
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka", "Weber"};
constexpr std::array<std::string_view, 7> departments{"Animation", "Comp", "FX", "Lighting", "Modeling",
                                                      "Production", "Rigging"};

struct step_spec {
    std::string_view code, short_name, entity_type, color;
};
constexpr std::array<step_spec, 10> steps{{
    {"Layout", "lay", "Shot", "120,180,220"},
    {"Animation", "anm", "Shot", "90,160,90"},
    {"FX", "fx", "Shot", "200,120,60"},
    {"Lighting", "lgt", "Shot", "230,200,80"},
    {"Compositing", "cmp", "Shot", "170,110,200"},
    {"Concept", "art", "Asset", "240,150,150"},
    {"Modeling", "mdl", "Asset", "100,140,210"},
    {"Rigging", "rig", "Asset", "150,150,150"},
    {"Surfacing", "srf", "Asset", "210,170,120"},
    {"Matchmove", "mm", "Shot", "100,200,200"},
}};

constexpr std::array<std::string_view, 6> asset_types{"Character", "Prop", "Environment", "Vehicle", "FX",
                                                      "Matte Painting"};
constexpr std::array<std::string_view, 6> asset_prefix{"chr", "prp", "env", "veh", "fx", "mp"};
constexpr std::array<std::string_view, 24> asset_words{
    "fox",    "lantern", "harbor", "truck",  "smoke",   "skyline", "owl",   "sword",
    "forest", "boat",    "rain",   "castle", "golem",   "crate",   "tower", "bike",
    "ember",  "bridge",  "wolf",   "clock",  "glacier", "train",   "moth",  "market"};

constexpr std::array<std::string_view, 7> shot_status{"wtg", "rdy", "ip", "rev", "fin", "hld", "omt"};
constexpr std::array<int, 7> shot_status_w{20, 5, 25, 10, 30, 5, 5};
constexpr std::array<std::string_view, 8> task_status{"wtg", "rdy", "ip", "rev", "fin", "hld", "omt", "na"};
constexpr std::array<int, 8> task_status_w{25, 10, 20, 10, 30, 2, 2, 1};
constexpr std::array<std::string_view, 4> version_status{"rev", "vwd", "apr", "na"};
constexpr std::array<int, 4> version_status_w{35, 30, 30, 5};
constexpr std::array<std::string_view, 5> shot_types{"Action", "Insert", "Plate", "VFX", "CG"};
constexpr std::array<std::string_view, 4> note_types{"Client", "Director", "Internal", "Technical"};
constexpr std::array<std::string_view, 10> note_phrases{
    "Please tighten the timing on the second beat.",
    "Edges look soft against the plate, check the matte.",
    "Approved for comp, nice work.",
    "Camera shake feels too strong in the last 20 frames.",
    "Match the key light to the previous shot.",
    "Client asked for a warmer grade overall.",
    "Silhouette reads better now; keep going.",
    "FX sim needs more variation in the smoke.",
    "Fix the flicker around frame 1040.",
    "Ready for review in tomorrow's dailies."};
constexpr std::array<std::string_view, 5> publish_types{"Alembic Cache", "Maya Scene", "Nuke Script",
                                                        "Image Sequence", "Movie"};
constexpr std::array<std::string_view, 5> publish_ext{"abc", "ma", "nk", "exr", "mov"};

class builder {
public:
    builder(store& db, const generate_options& o)
        : db_(db), r_(o.seed), now_(o.now_s), start_(o.now_s - 2 * 365 * 86400) {}

    struct made {
        std::string_view type;
        row* r;
        std::int64_t id() const { return r->id; }
    };

    bool has(std::string_view type) const { return db_.find_table(type) != nullptr; }

    // A new entity whose created_at moves forward with every call, so ids and creation
    // dates grow together as on a real site.
    made make(std::string_view type) {
        table* t = db_.find_table(type);
        row& r = db_.insert(*t);
        ++result.counts[std::string(type)];
        ++result.total;
        clock_ += 1 + r_.below(step_);
        std::int64_t created = std::min(start_ + clock_, now_ - 3600);
        std::int64_t updated = std::min(created + r_.below(30 * 86400), now_ - 60);
        made m{t->def().name, &r};
        set(m, "created_at", json::string(format_date_time(created)));
        set(m, "updated_at", json::string(format_date_time(updated)));
        if (!users_.empty()) {
            auto u = users_[static_cast<std::size_t>(r_.below(static_cast<std::int64_t>(users_.size())))];
            set(m, "created_by", stored_link("HumanUser", u));
            set(m, "updated_by", stored_link("HumanUser", u));
        }
        return m;
    }

    void set(const made& m, std::string_view field, json::value v) {
        const auto* f = db_.find_table(m.type)->def().find(field);
        if (f) m.r->values[f->index] = std::move(v);
    }

    // Sets a link field and the other side of its back-reference pair, if it has one.
    void link(const made& a, std::string_view field, const made& b) {
        const auto* f = db_.find_table(a.type)->def().find(field);
        if (!f || !f->accepts_type(b.type)) return;
        put(*a.r, *f, stored_link(b.type, b.id()));
        for (const auto& rv : f->reverse) {
            if (rv.type != b.type) continue;
            const auto* g = db_.find_table(b.type)->def().find(rv.field);
            if (g) put(*b.r, *g, stored_link(a.type, a.id()));
            break;
        }
    }

    std::int64_t now() const { return now_; }
    std::int64_t created_of(const made& m) const {
        const auto* f = db_.find_table(m.type)->def().find("created_at");
        return f ? parse_date_time(m.r->values[f->index].get_string()).value_or(now_) : now_;
    }
    void pace(std::int64_t expected_total) {
        // Spread creation dates over two years whatever the size.
        step_ = std::max<std::int64_t>(2, 2 * (2 * 365 * 86400) / std::max<std::int64_t>(1, expected_total));
    }

    prng& rng() { return r_; }
    std::vector<std::int64_t> users_;
    generate_result result;

private:
    static void put(row& r, const field_def& f, json::value link) {
        auto& slot = r.values[f.index];
        if (f.type == data_type::entity) {
            slot = std::move(link);
            return;
        }
        if (!slot.is_array()) slot = json::array{};
        auto& arr = slot.get_array();
        for (const auto& x : arr) {
            if (same_link(x, link)) return;
        }
        arr.push_back(std::move(link));
    }

    store& db_;
    prng r_;
    std::int64_t now_;
    std::int64_t start_;
    std::int64_t clock_ = 0;
    std::int64_t step_ = 600;
};

std::string pad(std::int64_t n, int width) {
    std::string s = std::to_string(n);
    while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
    return s;
}

}  // namespace

std::int64_t parse_generate_spec(const std::string& spec) {
    const std::string prefix = "studio:";
    if (spec.rfind(prefix, 0) != 0) {
        throw std::invalid_argument("--generate expects studio:N (e.g. studio:100000 or studio:100k), got '" +
                                    spec + "'");
    }
    std::string n = spec.substr(prefix.size());
    std::int64_t mult = 1;
    if (!n.empty() && (n.back() == 'k' || n.back() == 'K')) {
        mult = 1000;
        n.pop_back();
    } else if (!n.empty() && (n.back() == 'm' || n.back() == 'M')) {
        mult = 1000000;
        n.pop_back();
    }
    if (n.empty() || n.size() > 9 || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        throw std::invalid_argument("--generate expects studio:N with N a positive number, got '" + spec + "'");
    }
    std::int64_t v = std::stoll(n) * mult;
    if (v < 1 || v > 50'000'000) {
        throw std::invalid_argument("--generate size must be between 1 and 50000000, got '" + spec + "'");
    }
    return v;
}

generate_result generate_studio(store& db, const generate_options& o) {
    for (auto t : {"Project", "Sequence", "Shot", "Asset", "Task"}) {
        if (!db.find_table(t)) throw std::invalid_argument(std::string("--generate needs the entity type ") + t);
    }
    if (o.entities < 1) throw std::invalid_argument("--generate needs at least one entity");
    builder b(db, o);
    auto& rng = b.rng();
    // Per shot a studio has about: 0.25 assets, 4 shot tasks + 1.25 asset tasks, 2.5
    // versions, 0.5 published files, 0.8 notes, 1/30 sequence, 1/50 playlist: ~10.4
    // entities. Projects and people scale slowly on top.
    const std::int64_t shots = std::max<std::int64_t>(1, o.entities * 100 / 1040);
    const std::int64_t projects = std::clamp<std::int64_t>(shots / 1500 + 1, 1, 40);
    const std::int64_t people = std::clamp<std::int64_t>(o.entities / 400 + 3, 3, 1500);
    b.pace(o.entities);

    // People first: everything else is created by someone.
    std::vector<builder::made> users;
    if (b.has("HumanUser")) {
        for (std::int64_t i = 0; i < people; ++i) {
            auto u = b.make("HumanUser");
            std::string first(rng.pick(first_names));
            std::string last(rng.pick(last_names));
            std::string login = lower(first) + "." + lower(last) + (i >= 20 ? std::to_string(i) : "");
            b.set(u, "firstname", json::string(first));
            b.set(u, "lastname", json::string(last));
            b.set(u, "name", json::string(first + " " + last));
            b.set(u, "login", json::string(login));
            b.set(u, "email", json::string(login + "@studio.example"));
            b.set(u, "sg_status_list", rng.chance(0.92) ? "act" : "dis");
            b.set(u, "department_name", json::string(rng.pick(departments)));
            b.set(u, "sg_hourly_rate", static_cast<double>(rng.between(35, 120)));
            b.set(u, "file_access", rng.chance(0.3));
            users.push_back(u);
            b.users_.push_back(u.id());
        }
    }
    auto any_user = [&]() -> const builder::made* {
        return users.empty() ? nullptr : &users[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(users.size())))];
    };

    std::vector<builder::made> step_rows;
    if (b.has("Step")) {
        for (std::size_t i = 0; i < steps.size(); ++i) {
            auto s = b.make("Step");
            b.set(s, "code", json::string(steps[i].code));
            b.set(s, "short_name", json::string(steps[i].short_name));
            b.set(s, "entity_type", json::string(steps[i].entity_type));
            b.set(s, "color", json::string(steps[i].color));
            b.set(s, "list_order", static_cast<std::int64_t>(i + 1));
            step_rows.push_back(s);
        }
    }
    auto steps_for = [&](std::string_view type) {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < steps.size() && i < step_rows.size(); ++i) {
            if (steps[i].entity_type == type && steps[i].short_name != "mm") out.push_back(i);
        }
        return out;
    };
    const auto shot_steps = steps_for("Shot");
    const auto asset_steps = steps_for("Asset");

    std::int64_t shots_left = shots;
    for (std::int64_t p = 0; p < projects; ++p) {
        auto proj = b.make("Project");
        std::string pname(project_names[static_cast<std::size_t>(p) % project_names.size()]);
        if (p >= static_cast<std::int64_t>(project_names.size())) pname += " " + std::to_string(p / 16 + 1);
        std::string pcode;
        for (char c : pname) {
            if (c != ' ') pcode += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        }
        pcode = pcode.substr(0, 4);
        b.set(proj, "name", json::string(pname));
        b.set(proj, "code", json::string(pcode));
        b.set(proj, "tank_name", json::string(lower(pcode)));
        b.set(proj, "sg_status", p + 1 == projects || rng.chance(0.7) ? "Active" : "Archive");
        b.set(proj, "sg_type", rng.chance(0.6) ? "Feature" : "Episodic");
        b.set(proj, "sg_frame_rate", rng.chance(0.8) ? 24.0 : 25.0);
        std::int64_t pstart = b.created_of(proj);
        b.set(proj, "start_date", json::string(format_date(pstart)));
        b.set(proj, "end_date", json::string(format_date(pstart + rng.between(300, 700) * 86400)));
        for (const auto& u : users) {
            if (rng.chance(0.5)) b.link(proj, "users", u);
        }

        const std::int64_t pshots = p + 1 == projects ? shots_left : shots / projects;
        shots_left -= pshots;
        const std::int64_t nassets = std::max<std::int64_t>(1, pshots / 4);
        const std::int64_t nseq = std::max<std::int64_t>(1, pshots / 30);

        std::vector<builder::made> assets;
        auto add_task = [&](const builder::made& ent, std::size_t step_index, std::string_view status) {
            auto t = b.make("Task");
            b.set(t, "content", json::string(steps[step_index].code));
            b.link(t, "project", proj);
            b.link(t, "entity", ent);
            if (step_index < step_rows.size()) b.link(t, "step", step_rows[step_index]);
            b.set(t, "sg_status_list", json::string(status));
            if (const auto* u = any_user()) b.link(t, "task_assignees", *u);
            std::int64_t st = b.created_of(t) + rng.between(0, 20) * 86400;
            std::int64_t days = rng.between(2, 25);
            b.set(t, "start_date", json::string(format_date(st)));
            b.set(t, "due_date", json::string(format_date(st + days * 86400)));
            b.set(t, "duration", days * 480);
            std::int64_t bid = rng.between(1, 15) * 480;
            std::int64_t logged = rng.between(0, bid * 3 / 2);
            b.set(t, "est_in_mins", bid);
            b.set(t, "time_logs_sum", logged);
            b.set(t, "time_percent_of_est", logged * 100 / bid);
            b.set(t, "sg_priority", json::string(std::to_string(rng.between(1, 4))));
            if (rng.chance(0.03)) b.set(t, "milestone", true);
            return t;
        };

        for (std::int64_t a = 0; a < nassets; ++a) {
            auto as = b.make("Asset");
            std::size_t kind = static_cast<std::size_t>(rng.weighted(std::array<int, 6>{30, 35, 15, 8, 7, 5}));
            std::string code = std::string(asset_prefix[kind]) + "_" + std::string(rng.pick(asset_words)) +
                               (a >= 24 ? pad(a, 3) : "");
            b.set(as, "code", json::string(code));
            b.link(as, "project", proj);
            b.set(as, "sg_asset_type", json::string(asset_types[kind]));
            b.set(as, "sg_status_list", json::string(shot_status[rng.weighted(shot_status_w)]));
            b.set(as, "sg_complexity", rng.chance(0.2) ? "Hero" : "Medium");
            b.set(as, "sg_polycount", rng.between(2'000, 4'000'000));
            b.set(as, "description", json::string("The " + std::string(asset_types[kind]) + " " + code));
            if (rng.chance(0.85)) {
                b.set(as, "image", json::string("https://fake-shotgun.invalid/thumbnail/Asset/" +
                                                std::to_string(as.id()) + ".jpg"));
            }
            if (rng.chance(0.2)) b.set(as, "tag_list", json::array{"hero"});
            assets.push_back(as);
            for (std::size_t si : asset_steps) {
                if (si != asset_steps.front() && rng.chance(0.2)) continue;
                add_task(as, si, task_status[rng.weighted(task_status_w)]);
            }
        }

        std::vector<builder::made> project_versions;
        std::int64_t shot_counter = 0;
        for (std::int64_t s = 0; s < nseq; ++s) {
            auto seq = b.make("Sequence");
            std::string scode = "SQ" + pad((s + 1) * 10, 3);
            b.set(seq, "code", json::string(scode));
            b.link(seq, "project", proj);
            b.set(seq, "sg_status_list", json::string(shot_status[rng.weighted(shot_status_w)]));
            b.set(seq, "description", json::string("Sequence " + scode + " of " + pname));
            std::int64_t nshots = s + 1 == nseq ? pshots - shot_counter : pshots / nseq;
            for (std::int64_t k = 0; k < nshots; ++k, ++shot_counter) {
                auto sh = b.make("Shot");
                std::string code = scode + "_" + pad((k + 1) * 10, 4);
                b.set(sh, "code", json::string(code));
                b.link(sh, "project", proj);
                b.link(sh, "sg_sequence", seq);
                auto status = shot_status[rng.weighted(shot_status_w)];
                b.set(sh, "sg_status_list", json::string(status));
                b.set(sh, "sg_shot_type", json::string(rng.pick(shot_types)));
                std::int64_t dur = rng.between(24, 240);
                b.set(sh, "sg_cut_in", 1001);
                b.set(sh, "sg_cut_out", 1001 + dur - 1);
                b.set(sh, "sg_cut_duration", dur);
                b.set(sh, "sg_head_in", 993);
                b.set(sh, "sg_tail_out", 1001 + dur + 7);
                b.set(sh, "sg_cut_order", k + 1);
                b.set(sh, "sg_working_duration", dur + 16);
                b.set(sh, "sg_frame_rate", 24.0);
                b.set(sh, "sg_completion", status == "fin" ? 100 : rng.between(0, 95));
                b.set(sh, "sg_turnover_date", json::string(format_date(b.created_of(sh) + rng.between(1, 60) * 86400)));
                b.set(sh, "description", json::string("Shot " + code));
                if (rng.chance(0.3)) {
                    b.set(sh, "sg_camera_data", json::object{{"focal_length", rng.between(18, 135)},
                                                             {"filmback", "35mm"},
                                                             {"lens", "spherical"}});
                }
                if (rng.chance(0.9)) {
                    b.set(sh, "image", json::string("https://fake-shotgun.invalid/thumbnail/Shot/" +
                                                    std::to_string(sh.id()) + ".jpg"));
                }
                if (rng.chance(0.1)) b.set(sh, "sg_is_hero", true);
                if (rng.chance(0.1)) b.set(sh, "tag_list", json::array{"vfx", "cg"});
                // A few of the project's assets appear in each shot.
                std::int64_t nlinks = rng.between(0, 3);
                for (std::int64_t l = 0; l < nlinks && !assets.empty(); ++l) {
                    b.link(sh, "assets", assets[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(assets.size())))]);
                }
                // Tasks: four of the shot steps, then versions on some of them.
                std::vector<builder::made> tasks;
                for (std::size_t si : shot_steps) {
                    if (tasks.size() >= 4) break;
                    tasks.push_back(add_task(sh, si, task_status[rng.weighted(task_status_w)]));
                }
                std::int64_t nversions = rng.weighted(std::array<int, 6>{5, 15, 30, 25, 15, 10});
                for (std::int64_t v = 0; v < nversions && b.has("Version"); ++v) {
                    const auto& task = tasks[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(tasks.size())))];
                    auto ver = b.make("Version");
                    std::string vcode = code + "_v" + pad(v + 1, 3);
                    b.set(ver, "code", json::string(vcode));
                    b.link(ver, "project", proj);
                    b.link(ver, "entity", sh);
                    b.link(ver, "sg_task", task);
                    if (const auto* u = any_user()) b.link(ver, "user", *u);
                    b.set(ver, "sg_status_list", json::string(version_status[rng.weighted(version_status_w)]));
                    b.set(ver, "frame_count", dur);
                    b.set(ver, "sg_first_frame", 1001);
                    b.set(ver, "sg_last_frame", 1001 + dur - 1);
                    b.set(ver, "frame_range", json::string("1001-" + std::to_string(1001 + dur - 1)));
                    std::string base = "/mnt/projects/" + lower(pcode) + "/" + scode + "/" + code + "/" + vcode;
                    b.set(ver, "sg_path_to_frames", json::string(base + "/" + vcode + ".####.exr"));
                    b.set(ver, "sg_path_to_movie", json::string(base + "/" + vcode + ".mov"));
                    b.set(ver, "sg_movie_aspect_ratio", 1.85);
                    if (rng.chance(0.6)) {
                        b.set(ver, "sg_uploaded_movie",
                              json::object{{"content_type", "video/quicktime"},
                                           {"link_type", "upload"},
                                           {"name", vcode + ".mov"},
                                           {"url", "https://fake-shotgun.invalid/file_serve/" + vcode + ".mov"}});
                    }
                    b.set(ver, "image", json::string("https://fake-shotgun.invalid/thumbnail/Version/" +
                                                     std::to_string(ver.id()) + ".jpg"));
                    if (rng.chance(0.05)) b.set(ver, "flagged", true);
                    project_versions.push_back(ver);
                    if (b.has("PublishedFile") && rng.chance(0.2)) {
                        auto pf = b.make("PublishedFile");
                        std::size_t k2 = static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(publish_types.size())));
                        std::string pcode2 = vcode + "." + std::string(publish_ext[k2]);
                        b.set(pf, "code", json::string(pcode2));
                        b.set(pf, "name", json::string(code));
                        b.link(pf, "project", proj);
                        b.link(pf, "entity", sh);
                        b.link(pf, "task", task);
                        b.link(pf, "version", ver);
                        b.set(pf, "sg_publish_type", json::string(publish_types[k2]));
                        b.set(pf, "version_number", v + 1);
                        b.set(pf, "path_cache", json::string(lower(pcode) + "/" + scode + "/" + code + "/" + pcode2));
                        b.set(pf, "path", json::object{{"content_type", nullptr},
                                                       {"link_type", "local"},
                                                       {"name", pcode2},
                                                       {"local_path", base + "/" + pcode2},
                                                       {"local_path_linux", base + "/" + pcode2},
                                                       {"local_path_mac", base + "/" + pcode2},
                                                       {"local_path_windows", nullptr},
                                                       {"local_storage", nullptr},
                                                       {"relative_path", nullptr},
                                                       {"url", "file://" + base + "/" + pcode2}});
                        b.set(pf, "sg_status_list", "cmpt");
                    }
                    if (b.has("Note") && rng.chance(0.32)) {
                        auto note = b.make("Note");
                        const auto* author = any_user();
                        b.set(note, "subject", json::string("Note on " + vcode));
                        b.set(note, "content", json::string(rng.pick(note_phrases)));
                        b.link(note, "project", proj);
                        b.link(note, "note_links", ver);
                        b.link(note, "note_links", sh);
                        b.link(note, "tasks", task);
                        if (author) b.link(note, "user", *author);
                        if (const auto* to = any_user()) b.link(note, "addressings_to", *to);
                        b.set(note, "sg_note_type", json::string(rng.pick(note_types)));
                        b.set(note, "sg_status_list", rng.chance(0.6) ? "clsd" : "opn");
                    }
                }
            }
        }
        // Dailies playlists, each with a handful of the project's versions.
        if (b.has("Playlist") && !project_versions.empty()) {
            std::int64_t nplaylists = std::max<std::int64_t>(1, pshots / 50);
            for (std::int64_t k = 0; k < nplaylists; ++k) {
                auto pl = b.make("Playlist");
                std::int64_t when = b.created_of(pl);
                b.set(pl, "code", json::string("Dailies " + format_date(when) + " #" + std::to_string(k + 1)));
                b.link(pl, "project", proj);
                b.set(pl, "sg_date_and_time", json::string(format_date_time(when + 16 * 3600)));
                b.set(pl, "sg_status", rng.chance(0.8) ? "clsd" : "opn");
                std::int64_t n = rng.between(3, 12);
                for (std::int64_t v = 0; v < n; ++v) {
                    b.link(pl, "versions",
                           project_versions[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(project_versions.size())))]);
                }
            }
        }
    }

    // The event log of a site that existed before the fake started: ids start high, and
    // a few historic rows (the projects' creation) are there to be read.
    if (table* ev = db.find_table("EventLogEntry")) {
        ev->skip_ids(1000 + rng.below(1000));
        event_context ctx;
        ctx.now_s = o.now_s - 86400;
        ctx.user = b.users_.empty() ? json::value(nullptr) : json::value(stored_link("HumanUser", b.users_.front()));
        event_writer w(db, ctx);
        const table* pt = db.find_table("Project");
        for (const auto& pr : pt->rows()) w.new_entity(pt->def(), pr);
    }
    return std::move(b.result);
}

}  // namespace sgcache::fake_shotgun
