#include "crawler/state_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <iterator>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>
#include <unordered_map>

namespace nianbao::crawler {
namespace {

// The tables of schema version 1 (the first layout; meta.schema_version '1', user_version 0).
constexpr const char* kTablesV1 = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
  url TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL DEFAULT '',
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  last_fetch INTEGER NOT NULL DEFAULT 0,
  next_due INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  delivered_sha256 TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS links (
  list_url TEXT NOT NULL,
  position INTEGER NOT NULL,
  url TEXT NOT NULL,
  text TEXT NOT NULL,
  PRIMARY KEY (list_url, position)
);
CREATE TABLE IF NOT EXISTS attachments (
  report_url TEXT NOT NULL,
  url TEXT NOT NULL,
  text TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (report_url, url)
);
)sql";

// Version 1 -> 2: each source's next due time; each report's published version number and
// the content of the version about to be published (write-ahead); the version moves to
// PRAGMA user_version. A report delivered under version 1 counts as its version 1.
constexpr const char* kMigrateToV2 = R"sql(
CREATE TABLE IF NOT EXISTS source_due (source TEXT PRIMARY KEY, next_due INTEGER NOT NULL);
ALTER TABLE urls ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urls ADD COLUMN pending_sha256 TEXT NOT NULL DEFAULT '';
UPDATE urls SET version = 1 WHERE delivered_sha256 != '';
INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '2');
PRAGMA user_version = 2;
)sql";

// Version 2 -> 3: a report's versions are decided by the fingerprint of its parsed content,
// not by the page's bytes (ingest's status updater): the pending version holds a
// fingerprint, the delivered version's fingerprint and shape are kept to compare the next
// fetch with, a change that looks suspect waits for a second fetch that agrees, and a report
// page that is gone counts the fetches in a row that found it gone.
constexpr const char* kMigrateToV3 = R"sql(
ALTER TABLE urls RENAME COLUMN pending_sha256 TO pending_content;
ALTER TABLE urls ADD COLUMN delivered_content TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN delivered_shape TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN suspect_content TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN gone_fetches INTEGER NOT NULL DEFAULT 0;
INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '3');
PRAGMA user_version = 3;
)sql";

// Version 3 -> 4: the daemon's memory of each organisation across years (base/history.h):
// each year's latest delivered report per source and organisation key, the reports found
// missing after their deadline, and when each source was first watched. Every report
// delivered so far is read once more in full (its page is no longer "read to the end") so that
// its year enters the memory; its content is the one delivered, so nothing is published again.
constexpr const char* kMigrateToV4 = R"sql(
CREATE TABLE IF NOT EXISTS years (
  source TEXT NOT NULL,
  organization_key TEXT NOT NULL,
  year INTEGER NOT NULL,
  report_id TEXT NOT NULL,
  url TEXT NOT NULL,
  version INTEGER NOT NULL,
  summary TEXT NOT NULL,
  PRIMARY KEY (source, organization_key, year)
);
CREATE TABLE IF NOT EXISTS missing (
  source TEXT NOT NULL,
  organization_key TEXT NOT NULL,
  year INTEGER NOT NULL,
  organization TEXT NOT NULL,
  deadline TEXT NOT NULL,
  sent INTEGER NOT NULL DEFAULT 0,
  found_late INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source, organization_key, year)
);
CREATE TABLE IF NOT EXISTS source_watch (source TEXT PRIMARY KEY, since INTEGER NOT NULL);
UPDATE urls SET delivered_sha256 = ''
  WHERE kind = 'report' AND delivered_content != '' AND delivered_content != 'withdrawn';
INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', '4');
PRAGMA user_version = 4;
)sql";

// A source's portal column lives in the meta table under this prefix (GetSourceColumn): no
// table of its own, so no new schema version.
constexpr const char* kColumnKeyPrefix = "portal_column ";

// The tables every version of ours has; a file with tables but not these is someone else's.
constexpr const char* kOurTables[] = {"meta", "urls", "links", "attachments"};

}  // namespace

// The store's prepared statements, kept from their first use to the store's end and keyed by
// their SQL: preparing a statement (parsing and planning its SQL) cost more than running it,
// and the crawler runs the same few statements for every request. An entry is lent to one
// Stmt at a time; a second Stmt of the same SQL while the first is alive (a nested use)
// prepares its own.
class StmtCache {
 public:
  struct Entry {
    sqlite3_stmt* stmt = nullptr;
    bool lent = false;
  };
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache() {
    for (auto& [sql, e] : entries_) sqlite3_finalize(e.stmt);
  }
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  sqlite3* db() const { return db_; }
  // The entry of `sql`, prepared on first use; nullptr when it is lent out. `rc` is the
  // preparation's result (an entry that failed to prepare is not kept).
  Entry* Borrow(std::string_view sql, int* rc) {
    *rc = SQLITE_OK;
    if (auto it = entries_.find(sql); it != entries_.end()) {
      if (it->second.lent) return nullptr;
      it->second.lent = true;
      return &it->second;
    }
    sqlite3_stmt* stmt = nullptr;
    *rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (*rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return nullptr;
    }
    Entry& e = entries_[std::string(sql)];  // node-based: the reference stays valid
    e.stmt = stmt;
    e.lent = true;
    return &e;
  }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

namespace {

// A prepared statement: its own (finalised on every path), or one borrowed from the store's
// cache (reset and cleared on every path, so that no read stays open and no value is kept).
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  Stmt(StmtCache& cache, std::string_view sql) {
    entry_ = cache.Borrow(sql, &rc_);
    if (entry_ != nullptr) {
      s_ = entry_->stmt;
    } else if (rc_ == SQLITE_OK) {
      rc_ = sqlite3_prepare_v2(cache.db(), sql.data(), static_cast<int>(sql.size()), &s_, nullptr);
    }
  }
  ~Stmt() {
    if (entry_ == nullptr) {
      sqlite3_finalize(s_);
      return;
    }
    (void)sqlite3_reset(s_);  // the result of the last step was checked by its caller
    (void)sqlite3_clear_bindings(s_);
    entry_->lent = false;
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  // A value that cannot be bound (out of memory, a string over SQLite's limit) makes the
  // next Step() fail instead of running the statement with NULL in its place.
  void Bind(int i, const std::string& v) {
    Check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void Bind(int i, int64_t v) { Check(sqlite3_bind_int64(s_, i, v)); }
  int Step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(s_); }
  // Makes the statement ready to run again; the result of its last step was checked then.
  void Reset() {
    (void)sqlite3_reset(s_);
    bind_rc_ = SQLITE_OK;
  }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  void Check(int rc) {
    if (bind_rc_ == SQLITE_OK && rc != SQLITE_OK) bind_rc_ = rc;
  }
  sqlite3_stmt* s_ = nullptr;
  StmtCache::Entry* entry_ = nullptr;  // set when borrowed
  int rc_ = SQLITE_ERROR;
  int bind_rc_ = SQLITE_OK;
};

// Whether a failed SQLite call ran out of disk: SQLITE_FULL, or an I/O error whose system
// error was ENOSPC (growing the WAL index reports SQLITE_IOERR_SHMSIZE).
bool DiskFull(sqlite3* db) {
  return sqlite3_errcode(db) == SQLITE_FULL || sqlite3_system_errno(db) == ENOSPC;
}

}  // namespace

template <typename Body>
Status StateStore::InTransaction(Body&& body) {
  if (Status s = Run("BEGIN IMMEDIATE"); !s.ok()) return s;
  Status result = body();
  if (result.ok()) result = Run("COMMIT");
  if (!result.ok()) {
    // After a failed COMMIT SQLite may already have rolled back; a ROLLBACK then fails with
    // "no transaction is active", which changes nothing.
    if (sqlite3_get_autocommit(db_) == 0) (void)Exec("ROLLBACK");
  }
  return result;
}

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& state_dir) {
  if (::mkdir(state_dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return Status::IoError("cannot create state directory " + state_dir + ": " +
                           std::strerror(errno));
  }
  // A regular file (or anything else) in the directory's place is said as such: access()
  // below would call it "Permission denied", which sends the operator to the wrong fix.
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0) {
    return Status::IoError("cannot examine state directory " + state_dir + ": " +
                           std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::IoError("state directory " + state_dir + " is not a directory (" +
                           (S_ISREG(st.st_mode) ? "a regular file" : "another kind of file") +
                           " is in its place)");
  }
  // Root passes permission checks but not a read-only mount: access() sees both.
  if (::access(state_dir.c_str(), W_OK | X_OK) != 0) {
    return Status::IoError("state directory " + state_dir +
                           " is not writable: " + std::strerror(errno));
  }
  std::string path = state_dir + "/state.db";
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IoError("cannot open state database " + path + ": " + msg);
  }
  std::unique_ptr<StateStore> store(new StateStore(db, path));
  if (sqlite3_busy_timeout(db, 5000) != SQLITE_OK) return store->Error("set the busy timeout");
  // A damaged file must stop us before we overwrite what is left of it. Only SQLite's own
  // verdict (a failed check, SQLITE_CORRUPT, SQLITE_NOTADB) calls it damaged: a full disk or
  // an unreadable file is not, and moving it aside would throw the delivery state away.
  {
    Stmt check(db, "PRAGMA quick_check");
    int step = check.ok() ? check.Step() : SQLITE_ERROR;
    int code = step == SQLITE_ROW ? SQLITE_OK : sqlite3_errcode(db);
    bool damaged = (step == SQLITE_ROW && check.Text(0) != "ok") || code == SQLITE_CORRUPT ||
                   code == SQLITE_NOTADB;
    if (damaged) {
      return Status::Corruption("state database " + path + " is damaged (" +
                                (step == SQLITE_ROW ? check.Text(0) : sqlite3_errmsg(db)) +
                                "); move it aside to start with an empty state");
    }
    if (step != SQLITE_ROW) return store->Error("cannot read");
  }
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (Status s = store->Exec(pragma); !s.ok()) return s;
  }
  if (Status s = store->PrepareSchema(); !s.ok()) return s;
  // SQLite opens a file it may not write read-only without a word, and a read-only state
  // directory only fails at the first write (the WAL file): both would let the daemon crawl
  // and publish while remembering nothing, so every pass would hand everything on again.
  // One real write now turns that into a refusal to start.
  if (sqlite3_db_readonly(db, "main") == 1) {
    return Status::IoError("state database " + path +
                           " is read-only; the state directory must be writable");
  }
  {
    Stmt probe(db, "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?1)");
    if (!probe.ok()) return store->Error("prepare");
    probe.Bind(1, static_cast<int64_t>(std::time(nullptr)));
    if (probe.Step() != SQLITE_DONE) {
      if (DiskFull(db)) return store->Error("cannot write");
      return store->Error("cannot write (the state directory must be writable)");
    }
  }
  return store;
}

Status StateStore::PrepareSchema() {
  Stmt version(*stmts_, "PRAGMA user_version");
  if (!version.ok() || version.Step() != SQLITE_ROW) return Error("read the schema version");
  const int64_t user_version = version.Int(0);
  std::vector<std::string> tables;
  {
    Stmt list(*stmts_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    if (!list.ok()) return Error("read the list of tables");
    int rc;
    while ((rc = list.Step()) == SQLITE_ROW) tables.push_back(list.Text(0));
    if (rc != SQLITE_DONE) return Error("read the list of tables");
  }
  auto has = [&tables](std::string_view name) {
    return std::find(tables.begin(), tables.end(), name) != tables.end();
  };
  const bool ours = std::all_of(std::begin(kOurTables), std::end(kOurTables), has);
  std::string meta_version;
  if (has("meta")) {
    Stmt meta(*stmts_, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (meta.ok() && meta.Step() == SQLITE_ROW) meta_version = meta.Text(0);
  }
  auto refuse = [this](const std::string& found) {
    return Status::InvalidArgument(
        "state database " + path_ + " is not a nianbao state database of a version this " +
        "build reads (" + found + "; this build uses schema version " +
        std::to_string(kSchemaVersion) +
        "); point state_dir at another directory, or move the file aside to start with an "
        "empty state");
  };
  auto tables_found = [&tables] {
    std::string out;
    for (const auto& t : tables) out += (out.empty() ? "" : ", ") + t;
    return out;
  };
  if (user_version == 0 && tables.empty()) {
    // A new database: the first layout, then every migration, in one transaction.
    return InTransaction([this] {
      if (Status s = Exec(kTablesV1); !s.ok()) return s;
      if (Status s = Exec(kMigrateToV2); !s.ok()) return s;
      if (Status s = Exec(kMigrateToV3); !s.ok()) return s;
      return Exec(kMigrateToV4);
    });
  }
  if (user_version == 0) {
    if (!ours || meta_version != "1") {
      return refuse(meta_version.empty() ? "no schema version; tables: " + tables_found()
                                         : "schema version '" + meta_version + "' found");
    }
    return InTransaction([this] {
      if (Status s = Exec(kMigrateToV2); !s.ok()) return s;
      if (Status s = Exec(kMigrateToV3); !s.ok()) return s;
      return Exec(kMigrateToV4);
    });
  }
  if (user_version == 2 && ours && meta_version == "2") {
    return InTransaction([this] {
      if (Status s = Exec(kMigrateToV3); !s.ok()) return s;
      return Exec(kMigrateToV4);
    });
  }
  if (user_version == 3 && ours && meta_version == "3") {
    return InTransaction([this] { return Exec(kMigrateToV4); });
  }
  if (user_version != kSchemaVersion || !ours || meta_version != std::to_string(kSchemaVersion)) {
    return refuse("schema version " + std::to_string(user_version) + " found" +
                  (ours ? "" : "; tables: " + tables_found()));
  }
  return Status::Ok();
}

StateStore::StateStore(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)), stmts_(std::make_unique<StmtCache>(db)) {}

StateStore::~StateStore() {
  stmts_.reset();  // every statement finalised before the database closes
  sqlite3_close(db_);
}

Status StateStore::Error(const std::string& what) const {
  int code = sqlite3_errcode(db_);
  if (DiskFull(db_)) {
    return Status::IoError("state database " + path_ + ": " + what +
                           ": the disk is full; free space on it (the state is kept)");
  }
  std::string msg = "state database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption(msg);
  return Status::IoError(msg);
}

Status StateStore::Run(std::string_view sql) {
  Stmt st(*stmts_, sql);
  if (!st.ok() || st.Step() != SQLITE_DONE) return Error(std::string(sql));
  return Status::Ok();
}

Status StateStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown error";
    sqlite3_free(err);
    return Error(msg);
  }
  return Status::Ok();
}

Result<std::optional<UrlState>> StateStore::Get(const std::string& url) {
  Stmt st(
      db_,
      "SELECT source, kind, etag, last_modified, sha256, last_status, last_error, "
      "last_fetch, next_due, failures, delivered_sha256, gone_fetches FROM urls WHERE url = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<UrlState>();
  if (rc != SQLITE_ROW) return Error("read " + url);
  UrlState s;
  s.url = url;
  s.source = st.Text(0);
  s.kind = st.Text(1);
  s.etag = st.Text(2);
  s.last_modified = st.Text(3);
  s.sha256 = st.Text(4);
  s.last_status = static_cast<long>(st.Int(5));
  s.last_error = st.Text(6);
  s.last_fetch = st.Int(7);
  s.next_due = st.Int(8);
  s.failures = static_cast<int>(st.Int(9));
  s.delivered_sha256 = st.Text(10);
  s.gone_fetches = static_cast<int>(st.Int(11));
  return std::optional<UrlState>(std::move(s));
}

Status StateStore::Put(const UrlState& s) { return Written(s.url, UpsertUrl(s)); }

Status StateStore::Written(WrittenKind kind, const std::string& key, Status status) {
  if (status.ok() && on_written_) on_written_(kind, key);
  return status;
}

Status StateStore::UpsertUrl(const UrlState& s) {
  Stmt st(*stmts_,
          "INSERT INTO urls (url, source, kind, etag, last_modified, sha256, last_status, "
          "last_error, last_fetch, next_due, failures, delivered_sha256, gone_fetches) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
          "ON CONFLICT(url) DO UPDATE SET source=?2, kind=?3, etag=?4, last_modified=?5, "
          "sha256=?6, last_status=?7, last_error=?8, last_fetch=?9, next_due=?10, "
          "failures=?11, delivered_sha256=?12, gone_fetches=?13");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, s.url);
  st.Bind(2, s.source);
  st.Bind(3, s.kind);
  st.Bind(4, s.etag);
  st.Bind(5, s.last_modified);
  st.Bind(6, s.sha256);
  st.Bind(7, static_cast<int64_t>(s.last_status));
  st.Bind(8, s.last_error);
  st.Bind(9, s.last_fetch);
  st.Bind(10, s.next_due);
  st.Bind(11, static_cast<int64_t>(s.failures));
  st.Bind(12, s.delivered_sha256);
  st.Bind(13, static_cast<int64_t>(s.gone_fetches));
  if (st.Step() != SQLITE_DONE) return Error("write " + s.url);
  return Status::Ok();
}

Status StateStore::PutLinks(const std::string& list_url, const std::vector<Link>& links) {
  return Written(list_url, InTransaction([&] { return ReplaceLinks(list_url, links); }));
}

Status StateStore::ReplaceLinks(const std::string& list_url, const std::vector<Link>& links) {
  Stmt del(*stmts_, "DELETE FROM links WHERE list_url = ?1");
  if (!del.ok()) return Error("prepare");
  del.Bind(1, list_url);
  if (del.Step() != SQLITE_DONE) return Error("clear links of " + list_url);
  Stmt ins(*stmts_, "INSERT INTO links (list_url, position, url, text) VALUES (?1, ?2, ?3, ?4)");
  if (!ins.ok()) return Error("prepare");
  for (size_t i = 0; i < links.size(); ++i) {
    ins.Reset();
    ins.Bind(1, list_url);
    ins.Bind(2, static_cast<int64_t>(i));
    ins.Bind(3, links[i].url);
    ins.Bind(4, links[i].text);
    if (ins.Step() != SQLITE_DONE) return Error("write links of " + list_url);
  }
  return Status::Ok();
}

Result<std::vector<Link>> StateStore::GetLinks(const std::string& list_url) {
  Stmt st(*stmts_, "SELECT url, text FROM links WHERE list_url = ?1 ORDER BY position");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, list_url);
  std::vector<Link> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(Link{st.Text(0), st.Text(1)});
  if (rc != SQLITE_DONE) return Error("read links of " + list_url);
  return out;
}

Status StateStore::PutAttachments(const std::string& report_url,
                                  const std::vector<Link>& attachments) {
  return Written(report_url,
                 InTransaction([&] { return ReplaceAttachments(report_url, attachments); }));
}

Status StateStore::ReplaceAttachments(const std::string& report_url,
                                      const std::vector<Link>& attachments) {
  // Those no longer on the page go; those still there keep their first_seen.
  Stmt mark(*stmts_, "UPDATE attachments SET first_seen = -first_seen - 1 WHERE report_url = ?1");
  if (!mark.ok()) return Error("prepare");
  mark.Bind(1, report_url);
  if (mark.Step() != SQLITE_DONE) return Error("write attachments of " + report_url);
  Stmt keep(*stmts_,
            "INSERT INTO attachments (report_url, url, text, first_seen) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(report_url, url) DO UPDATE SET text = ?3, "
            "first_seen = CASE WHEN first_seen < 0 THEN -first_seen - 1 ELSE first_seen END");
  if (!keep.ok()) return Error("prepare");
  for (const auto& a : attachments) {
    keep.Reset();
    keep.Bind(1, report_url);
    keep.Bind(2, a.url);
    keep.Bind(3, a.text);
    keep.Bind(4, static_cast<int64_t>(std::time(nullptr)));
    if (keep.Step() != SQLITE_DONE) return Error("write attachments of " + report_url);
  }
  Stmt gone(*stmts_, "DELETE FROM attachments WHERE report_url = ?1 AND first_seen < 0");
  if (!gone.ok()) return Error("prepare");
  gone.Bind(1, report_url);
  if (gone.Step() != SQLITE_DONE) return Error("write attachments of " + report_url);
  return Status::Ok();
}

Status StateStore::CommitFetch(const UrlState& state, const std::vector<Link>* links,
                               const std::vector<Link>* attachments) {
  return Written(state.url, InTransaction([&] {
                   if (Status s = UpsertUrl(state); !s.ok()) return s;
                   if (links != nullptr) {
                     if (Status s = ReplaceLinks(state.url, *links); !s.ok()) return s;
                   }
                   if (attachments != nullptr) return ReplaceAttachments(state.url, *attachments);
                   return Status::Ok();
                 }));
}

Result<std::optional<int64_t>> StateStore::GetSourceDue(const std::string& source) {
  Stmt st(*stmts_, "SELECT next_due FROM source_due WHERE source = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, source);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Error("read the next due time of source " + source);
  return std::optional<int64_t>(st.Int(0));
}

Status StateStore::PutSourceDue(const std::string& source, int64_t next_due_unix) {
  Stmt st(*stmts_,
          "INSERT INTO source_due (source, next_due) VALUES (?1, ?2) "
          "ON CONFLICT(source) DO UPDATE SET next_due = ?2");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, source);
  st.Bind(2, next_due_unix);
  if (st.Step() != SQLITE_DONE) return Error("write the next due time of source " + source);
  return Written(WrittenKind::kSource, source, Status::Ok());
}

// In the meta table (kColumnKeyPrefix + source).
Result<std::string> StateStore::GetSourceColumn(const std::string& source) {
  Stmt st(*stmts_, "SELECT value FROM meta WHERE key = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, kColumnKeyPrefix + source);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return Error("read the column of source " + source);
  return st.Text(0);
}

Status StateStore::PutSourceColumn(const std::string& source, const std::string& columns) {
  Stmt st(*stmts_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, kColumnKeyPrefix + source);
  st.Bind(2, columns);
  if (st.Step() != SQLITE_DONE) return Error("write the column of source " + source);
  return Written(WrittenKind::kSource, source, Status::Ok());
}

Result<std::vector<Link>> StateStore::GetAttachments(const std::string& report_url) {
  Stmt st(*stmts_, "SELECT url, text FROM attachments WHERE report_url = ?1 ORDER BY url");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, report_url);
  std::vector<Link> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(Link{st.Text(0), st.Text(1)});
  if (rc != SQLITE_DONE) return Error("read attachments of " + report_url);
  return out;
}

Result<int64_t> StateStore::BeginVersion(const std::string& url, const std::string& content) {
  int64_t version = 0;
  Status s = InTransaction([&]() -> Status {
    Stmt get(*stmts_, "SELECT version, pending_content FROM urls WHERE url = ?1");
    if (!get.ok()) return Error("prepare");
    get.Bind(1, url);
    int rc = get.Step();
    if (rc == SQLITE_DONE) {
      return Status::NotFound("state database " + path_ + ": no state for " + url +
                              " (its fetch was not recorded)");
    }
    if (rc != SQLITE_ROW) return Error("read the version of " + url);
    version = get.Int(0);
    if (get.Text(1) == content && version > 0) return Status::Ok();  // the same version again
    ++version;
    Stmt put(*stmts_, "UPDATE urls SET version = ?2, pending_content = ?3 WHERE url = ?1");
    if (!put.ok()) return Error("prepare");
    put.Bind(1, url);
    put.Bind(2, version);
    put.Bind(3, content);
    if (put.Step() != SQLITE_DONE) return Error("write the version of " + url);
    return Status::Ok();
  });
  if (!Written(url, s).ok()) return s;
  return version;
}

Status StateStore::MarkDelivered(const std::string& url, const std::string& sha256,
                                 const DeliveredContent* content) {
  if (content == nullptr) {
    Stmt st(*stmts_, "UPDATE urls SET delivered_sha256 = ?2 WHERE url = ?1");
    if (!st.ok()) return Error("prepare");
    st.Bind(1, url);
    st.Bind(2, sha256);
    if (st.Step() != SQLITE_DONE) return Error("mark delivered " + url);
    return Written(url, Status::Ok());
  }
  Stmt st(*stmts_,
          "UPDATE urls SET delivered_sha256 = ?2, delivered_content = ?3, delivered_shape = ?4, "
          "suspect_content = '', pending_content = CASE WHEN pending_content = ?3 THEN '' "
          "ELSE pending_content END WHERE url = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  st.Bind(2, sha256);
  st.Bind(3, content->fingerprint);
  st.Bind(4, content->shape);
  if (st.Step() != SQLITE_DONE) return Error("mark delivered " + url);
  return Written(url, Status::Ok());
}

Result<DeliveredState> StateStore::GetDelivered(const std::string& url) {
  Stmt st(*stmts_,
          "SELECT delivered_content, delivered_shape, suspect_content, version, delivered_sha256 "
          "FROM urls "
          "WHERE url = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  int rc = st.Step();
  DeliveredState d;
  if (rc == SQLITE_DONE) return d;
  if (rc != SQLITE_ROW) return Error("read the delivered version of " + url);
  d.fingerprint = st.Text(0);
  d.shape = st.Text(1);
  d.suspect = st.Text(2);
  d.version = st.Int(3);
  d.sha256 = st.Text(4);
  return d;
}

Status StateStore::MarkSuspect(const std::string& url, const std::string& fingerprint) {
  Stmt st(*stmts_, "UPDATE urls SET suspect_content = ?2 WHERE url = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  st.Bind(2, fingerprint);
  if (st.Step() != SQLITE_DONE) return Error("write the suspect version of " + url);
  return Written(url, Status::Ok());
}

Result<int64_t> StateStore::CountUrls(const std::string& kind) {
  Stmt st(*stmts_, "SELECT COUNT(*) FROM urls WHERE kind = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, kind);
  if (st.Step() != SQLITE_ROW) return Error("count");
  return st.Int(0);
}

// ReportHistory (base/history.h).

namespace {
std::string ColumnText(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}
YearEntry YearRow(sqlite3_stmt* st) {
  YearEntry e;
  e.source = ColumnText(st, 0);
  e.organization_key = ColumnText(st, 1);
  e.year = sqlite3_column_int(st, 2);
  e.report_id = ColumnText(st, 3);
  e.url = ColumnText(st, 4);
  e.version = sqlite3_column_int64(st, 5);
  e.summary = ColumnText(st, 6);
  return e;
}
MissingReport MissingRow(sqlite3_stmt* st) {
  MissingReport m;
  m.source = ColumnText(st, 0);
  m.organization_key = ColumnText(st, 1);
  m.year = sqlite3_column_int(st, 2);
  m.organization = ColumnText(st, 3);
  m.deadline = ColumnText(st, 4);
  m.sent = sqlite3_column_int(st, 5) != 0;
  m.found_late = sqlite3_column_int(st, 6) != 0;
  return m;
}
}  // namespace

// A table of the history (declared in state_store.h).
template <typename Row>
struct HistoryTable {
  const char* name;
  const char* columns;  // source, organization_key and year first
  Row (*read)(sqlite3_stmt*);
};

namespace {
constexpr HistoryTable<YearEntry> kYears{
    "years", "source, organization_key, year, report_id, url, version, summary", &YearRow};
constexpr HistoryTable<MissingReport> kMissing{
    "missing", "source, organization_key, year, organization, deadline, sent, found_late",
    &MissingRow};

// The one row of a select by key, if any.
template <typename Row>
Result<std::optional<Row>> OneRow(Result<std::vector<Row>> rows) {
  if (!rows.ok()) return rows.status();
  if (rows.value().empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows.value().front()));
}
}  // namespace

template <typename Row>
Result<std::vector<Row>> StateStore::SelectHistory(
    const HistoryTable<Row>& table, const std::string& source,
    const std::optional<std::pair<std::string, int>>& key, const std::string& what) {
  std::string sql = std::string("SELECT ") + table.columns + " FROM " + table.name +
                    " WHERE source = ?1" + (key ? " AND organization_key = ?2 AND year = ?3" : "") +
                    " ORDER BY organization_key, year";
  Stmt st(*stmts_, sql.c_str());
  if (!st.ok()) return Error("prepare");
  st.Bind(1, source);
  if (key) {
    st.Bind(2, key->first);
    st.Bind(3, static_cast<int64_t>(key->second));
  }
  std::vector<Row> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(table.read(st.get()));
  if (rc != SQLITE_DONE) return Error(what);
  return out;
}

Result<std::optional<YearEntry>> StateStore::GetYear(const std::string& source,
                                                     const std::string& organization_key,
                                                     int year) {
  return OneRow(SelectHistory(kYears, source, std::make_pair(organization_key, year),
                              "read the history of " + organization_key));
}

Result<std::vector<YearEntry>> StateStore::YearsOf(const std::string& source) {
  return SelectHistory(kYears, source, std::nullopt, "read the history of source " + source);
}

Status StateStore::PutYear(const YearEntry& e, bool found_late) {
  return Written(
      WrittenKind::kSource, e.source, InTransaction([&]() -> Status {
        Stmt st(*stmts_,
                "INSERT OR REPLACE INTO years (source, organization_key, year, report_id, url, "
                "version, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        if (!st.ok()) return Error("prepare");
        st.Bind(1, e.source);
        st.Bind(2, e.organization_key);
        st.Bind(3, static_cast<int64_t>(e.year));
        st.Bind(4, e.report_id);
        st.Bind(5, e.url);
        st.Bind(6, e.version);
        st.Bind(7, e.summary);
        if (st.Step() != SQLITE_DONE) return Error("write the history of " + e.organization_key);
        if (!found_late) return Status::Ok();
        Stmt late(*stmts_,
                  "UPDATE missing SET found_late = 1 WHERE source = ?1 AND organization_key = ?2 "
                  "AND year = ?3");
        if (!late.ok()) return Error("prepare");
        late.Bind(1, e.source);
        late.Bind(2, e.organization_key);
        late.Bind(3, static_cast<int64_t>(e.year));
        if (late.Step() != SQLITE_DONE) return Error("mark found late " + e.organization_key);
        return Status::Ok();
      }));
}

Result<std::optional<MissingReport>> StateStore::GetMissing(const std::string& source,
                                                            const std::string& organization_key,
                                                            int year) {
  return OneRow(SelectHistory(kMissing, source, std::make_pair(organization_key, year),
                              "read the missing reports of " + organization_key));
}

Result<std::vector<MissingReport>> StateStore::MissingOf(const std::string& source) {
  return SelectHistory(kMissing, source, std::nullopt,
                       "read the missing reports of source " + source);
}

Status StateStore::PutMissing(const MissingReport& m) {
  Stmt st(*stmts_,
          "INSERT OR REPLACE INTO missing (source, organization_key, year, organization, "
          "deadline, sent, found_late) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, m.source);
  st.Bind(2, m.organization_key);
  st.Bind(3, static_cast<int64_t>(m.year));
  st.Bind(4, m.organization);
  st.Bind(5, m.deadline);
  st.Bind(6, static_cast<int64_t>(m.sent ? 1 : 0));
  st.Bind(7, static_cast<int64_t>(m.found_late ? 1 : 0));
  if (st.Step() != SQLITE_DONE) return Error("write a missing report of " + m.organization_key);
  return Written(WrittenKind::kSource, m.source, Status::Ok());
}

Result<int64_t> StateStore::WatchedSince(const std::string& source, int64_t now) {
  {
    Stmt put(*stmts_, "INSERT OR IGNORE INTO source_watch (source, since) VALUES (?1, ?2)");
    if (!put.ok()) return Error("prepare");
    put.Bind(1, source);
    put.Bind(2, now);
    if (put.Step() != SQLITE_DONE) return Error("write when source " + source + " was watched");
    // Only the first watch writes a row; the calls after it change nothing to carry.
    if (sqlite3_changes(db_) > 0) (void)Written(WrittenKind::kSource, source, Status::Ok());
  }
  Stmt get(*stmts_, "SELECT since FROM source_watch WHERE source = ?1");
  if (!get.ok()) return Error("prepare");
  get.Bind(1, source);
  if (get.Step() != SQLITE_ROW) return Error("read when source " + source + " was watched");
  return get.Int(0);
}

namespace {

// A column that travels in a changelog record, with whether it is an integer (else text).
struct Column {
  const char* name;
  bool integer;
};

// The columns of a URL's row that travel in its changelog record (StateStore::ExportUrl).
// A table, so that a column added later is one line here.
constexpr Column kUrlColumns[] = {
    {"source", false},
    {"kind", false},
    {"etag", false},
    {"last_modified", false},
    {"sha256", false},
    {"last_status", true},
    {"last_error", false},
    {"last_fetch", true},
    {"next_due", true},
    {"failures", true},
    {"delivered_sha256", false},
    {"version", true},
    {"pending_content", false},
    {"delivered_content", false},
    {"delivered_shape", false},
    {"suspect_content", false},
    {"gone_fetches", true},
};

std::string ColumnList(std::span<const Column> columns = kUrlColumns) {
  std::string out;
  for (const auto& c : columns) out += std::string(out.empty() ? "" : ", ") + c.name;
  return out;
}

// Whether `value` is of the column's type.
bool OfType(const Column& c, const nlohmann::json& value) {
  return c.integer ? value.is_number_integer() : value.is_string();
}

// The tables keyed by source whose rows travel in the source's changelog record
// (StateStore::ExportSource), each with its columns after `source` and the order of its rows.
// A table added later is one entry here.
constexpr Column kSourceDueColumns[] = {{"next_due", true}};
constexpr Column kSourceWatchColumns[] = {{"since", true}};
constexpr Column kYearsColumns[] = {{"organization_key", false}, {"year", true},
                                    {"report_id", false},        {"url", false},
                                    {"version", true},           {"summary", false}};
constexpr Column kMissingColumns[] = {
    {"organization_key", false}, {"year", true}, {"organization", false},
    {"deadline", false},         {"sent", true}, {"found_late", true}};
struct SourceTable {
  const char* name;
  std::span<const Column> columns;
  const char* order;
};
constexpr SourceTable kSourceTables[] = {
    {"source_due", kSourceDueColumns, "next_due"},
    {"source_watch", kSourceWatchColumns, "since"},
    {"years", kYearsColumns, "organization_key, year"},
    {"missing", kMissingColumns, "organization_key, year"},
};

}  // namespace

void StateStore::SetOnWritten(OnWritten on_written) { on_written_ = std::move(on_written); }

Result<std::optional<std::string>> StateStore::ExportUrl(const std::string& url) {
  const std::string sql = "SELECT " + ColumnList() + " FROM urls WHERE url = ?1";
  Stmt st(*stmts_, sql.c_str());
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error("read " + url);
  nlohmann::json j;
  j["url"] = url;
  nlohmann::json row = nlohmann::json::object();
  int col = 0;
  for (const auto& c : kUrlColumns) {
    if (c.integer) {
      row[c.name] = st.Int(col);
    } else {
      row[c.name] = st.Text(col);
    }
    ++col;
  }
  j["row"] = std::move(row);
  auto links = GetLinks(url);
  if (!links.ok()) return links.status();
  if (!links.value().empty()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& l : links.value()) a.push_back({l.url, l.text});
    j["links"] = std::move(a);
  }
  Stmt at(*stmts_,
          "SELECT url, text, first_seen FROM attachments WHERE report_url = ?1 ORDER BY url");
  if (!at.ok()) return Error("prepare");
  at.Bind(1, url);
  nlohmann::json atts = nlohmann::json::array();
  while ((rc = at.Step()) == SQLITE_ROW) atts.push_back({at.Text(0), at.Text(1), at.Int(2)});
  if (rc != SQLITE_DONE) return Error("read attachments of " + url);
  if (!atts.empty()) j["attachments"] = std::move(atts);
  return std::optional<std::string>(j.dump());
}

Status StateStore::ImportUrl(std::string_view record) {
  nlohmann::json j = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("url") || !j["url"].is_string() ||
      !j.contains("row") || !j["row"].is_object()) {
    return Status::InvalidArgument("changelog record: not a URL's state");
  }
  const std::string url = j["url"].get<std::string>();
  const auto& row = j["row"];
  // Every column must be there with its type: a record of another layout is refused whole.
  for (const auto& c : kUrlColumns) {
    if (!row.contains(c.name) || !OfType(c, row[c.name])) {
      return Status::InvalidArgument("changelog record of " + url + ": column " + c.name);
    }
  }
  auto pairs = [](const nlohmann::json& a, size_t n) {
    if (!a.is_array()) return false;
    for (const auto& e : a) {
      if (!e.is_array() || e.size() != n || !e[0].is_string() || !e[1].is_string()) return false;
      if (n == 3 && !e[2].is_number_integer()) return false;
    }
    return true;
  };
  const nlohmann::json none = nlohmann::json::array();
  const auto& links = j.contains("links") ? j["links"] : none;
  const auto& atts = j.contains("attachments") ? j["attachments"] : none;
  if (!pairs(links, 2) || !pairs(atts, 3)) {
    return Status::InvalidArgument("changelog record of " + url + ": links or attachments");
  }
  return InTransaction([&]() -> Status {
    std::string sql = "INSERT OR REPLACE INTO urls (url, " + ColumnList() + ") VALUES (?1";
    for (size_t i = 0; i < std::size(kUrlColumns); ++i) sql += ", ?" + std::to_string(i + 2);
    sql += ")";
    Stmt put(*stmts_, sql.c_str());
    if (!put.ok()) return Error("prepare");
    put.Bind(1, url);
    int i = 2;
    for (const auto& c : kUrlColumns) {
      if (c.integer) {
        put.Bind(i, row[c.name].get<int64_t>());
      } else {
        put.Bind(i, row[c.name].get<std::string>());
      }
      ++i;
    }
    if (put.Step() != SQLITE_DONE) return Error("write " + url);
    std::vector<Link> list;
    for (const auto& e : links)
      list.push_back(Link{e[0].get<std::string>(), e[1].get<std::string>()});
    if (Status s = ReplaceLinks(url, list); !s.ok()) return s;
    Stmt del(*stmts_, "DELETE FROM attachments WHERE report_url = ?1");
    if (!del.ok()) return Error("prepare");
    del.Bind(1, url);
    if (del.Step() != SQLITE_DONE) return Error("write attachments of " + url);
    Stmt ins(*stmts_,
             "INSERT INTO attachments (report_url, url, text, first_seen) VALUES (?1, ?2, ?3, ?4)");
    if (!ins.ok()) return Error("prepare");
    for (const auto& e : atts) {
      ins.Reset();
      ins.Bind(1, url);
      ins.Bind(2, e[0].get<std::string>());
      ins.Bind(3, e[1].get<std::string>());
      ins.Bind(4, e[2].get<int64_t>());
      if (ins.Step() != SQLITE_DONE) return Error("write attachments of " + url);
    }
    return Status::Ok();
  });
}

Result<std::optional<std::string>> StateStore::ExportSource(const std::string& source) {
  nlohmann::json j;
  j["source"] = source;
  bool any = false;
  for (const auto& t : kSourceTables) {
    const std::string sql = "SELECT " + ColumnList(t.columns) + " FROM " + t.name +
                            " WHERE source = ?1 ORDER BY " + t.order;
    Stmt st(*stmts_, sql.c_str());
    if (!st.ok()) return Error("prepare");
    st.Bind(1, source);
    nlohmann::json rows = nlohmann::json::array();
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      nlohmann::json row = nlohmann::json::object();
      int col = 0;
      for (const auto& c : t.columns) {
        if (c.integer) {
          row[c.name] = st.Int(col);
        } else {
          row[c.name] = st.Text(col);
        }
        ++col;
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return Error(std::string("read ") + t.name + " of source " + source);
    any = any || !rows.empty();
    j[t.name] = std::move(rows);
  }
  auto column = GetSourceColumn(source);
  if (!column.ok()) return column.status();
  any = any || !column.value().empty();
  j["column"] = column.value();
  if (!any) return std::optional<std::string>();
  return std::optional<std::string>(j.dump());
}

Status StateStore::ImportSource(std::string_view record) {
  nlohmann::json j = nlohmann::json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("source") || !j["source"].is_string() ||
      j["source"].get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument("changelog record: not a source's state");
  }
  const std::string source = j["source"].get<std::string>();
  // Every row of every table must be whole and of its types: a record of another layout is
  // refused before anything is written.
  const nlohmann::json none = nlohmann::json::array();
  for (const auto& t : kSourceTables) {
    const auto& rows = j.contains(t.name) ? j[t.name] : none;
    if (!rows.is_array()) {
      return Status::InvalidArgument("changelog record of source " + source + ": " + t.name +
                                     " is not a list of rows");
    }
    for (const auto& row : rows) {
      if (!row.is_object()) {
        return Status::InvalidArgument("changelog record of source " + source + ": " + t.name +
                                       ": a row is not an object");
      }
      for (const auto& c : t.columns) {
        if (!row.contains(c.name) || !OfType(c, row[c.name])) {
          return Status::InvalidArgument("changelog record of source " + source + ": " + t.name +
                                         " column " + c.name);
        }
      }
    }
  }
  if (j.contains("column") && !j["column"].is_string()) {
    return Status::InvalidArgument("changelog record of source " + source + ": column");
  }
  const std::string column = j.contains("column") ? j["column"].get<std::string>() : "";
  return InTransaction([&]() -> Status {
    for (const auto& t : kSourceTables) {
      const std::string del_sql = std::string("DELETE FROM ") + t.name + " WHERE source = ?1";
      Stmt del(*stmts_, del_sql.c_str());
      if (!del.ok()) return Error("prepare");
      del.Bind(1, source);
      if (del.Step() != SQLITE_DONE) {
        return Error(std::string("clear ") + t.name + " of source " + source);
      }
      if (!j.contains(t.name)) continue;
      std::string sql = std::string("INSERT INTO ") + t.name + " (source, " +
                        ColumnList(t.columns) + ") VALUES (?1";
      for (size_t i = 0; i < t.columns.size(); ++i) sql += ", ?" + std::to_string(i + 2);
      sql += ")";
      Stmt ins(*stmts_, sql.c_str());
      if (!ins.ok()) return Error("prepare");
      for (const auto& row : j[t.name]) {
        ins.Reset();
        ins.Bind(1, source);
        int i = 2;
        for (const auto& c : t.columns) {
          if (c.integer) {
            ins.Bind(i, row[c.name].get<int64_t>());
          } else {
            ins.Bind(i, row[c.name].get<std::string>());
          }
          ++i;
        }
        // Two rows of one key (a hand-made record) fail here and roll everything back.
        if (ins.Step() != SQLITE_DONE) {
          return Error(std::string("write ") + t.name + " of source " + source);
        }
      }
    }
    const std::string key = kColumnKeyPrefix + source;
    Stmt st(*stmts_, column.empty() ? "DELETE FROM meta WHERE key = ?1"
                                    : "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
    if (!st.ok()) return Error("prepare");
    st.Bind(1, key);
    if (!column.empty()) st.Bind(2, column);
    if (st.Step() != SQLITE_DONE) return Error("write the column of source " + source);
    return Status::Ok();
  });
}

}  // namespace nianbao::crawler
