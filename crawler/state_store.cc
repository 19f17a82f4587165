#include "crawler/state_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace nianbao::crawler {
namespace {

constexpr const char* kSchema = R"sql(
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
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// A prepared statement, finalised on every path.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return s_; }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  int Step() { return sqlite3_step(s_); }
  std::string Text(int col) {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }
  int64_t Int(int col) { return sqlite3_column_int64(s_, col); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& state_dir) {
  if (::mkdir(state_dir.c_str(), 0750) != 0 && errno != EEXIST) {
    return Status::IoError("cannot create state directory " + state_dir + ": " +
                           std::strerror(errno));
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
  sqlite3_busy_timeout(db, 5000);
  // A damaged file must stop us before we overwrite what is left of it.
  {
    Stmt check(db, "PRAGMA quick_check");
    if (!check.ok() || check.Step() != SQLITE_ROW || check.Text(0) != "ok") {
      return Status::Corruption("state database " + path + " is damaged (" +
                                std::string(sqlite3_errmsg(db)) +
                                "); move it aside to start with an empty state");
    }
  }
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (Status s = store->Exec(pragma); !s.ok()) return s;
  }
  if (Status s = store->Exec(kSchema); !s.ok()) return s;
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
    probe.Bind(1, static_cast<int64_t>(std::time(nullptr)));
    if (!probe.ok() || probe.Step() != SQLITE_DONE) {
      return store->Error("cannot write (the state directory must be writable)");
    }
  }
  return store;
}

StateStore::~StateStore() { sqlite3_close(db_); }

Status StateStore::Error(const std::string& what) const {
  int code = sqlite3_errcode(db_);
  std::string msg = "state database " + path_ + ": " + what + ": " + sqlite3_errmsg(db_);
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) return Status::Corruption(msg);
  return Status::IoError(msg);
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
  Stmt st(db_,
          "SELECT source, kind, etag, last_modified, sha256, last_status, last_error, "
          "last_fetch, next_due, failures, delivered_sha256 FROM urls WHERE url = ?1");
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
  return std::optional<UrlState>(std::move(s));
}

Status StateStore::Put(const UrlState& s) {
  Stmt st(db_,
          "INSERT INTO urls (url, source, kind, etag, last_modified, sha256, last_status, "
          "last_error, last_fetch, next_due, failures, delivered_sha256) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
          "ON CONFLICT(url) DO UPDATE SET source=?2, kind=?3, etag=?4, last_modified=?5, "
          "sha256=?6, last_status=?7, last_error=?8, last_fetch=?9, next_due=?10, "
          "failures=?11, delivered_sha256=?12");
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
  if (st.Step() != SQLITE_DONE) return Error("write " + s.url);
  return Status::Ok();
}

Status StateStore::PutLinks(const std::string& list_url, const std::vector<Link>& links) {
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  Status result = Status::Ok();
  {
    Stmt del(db_, "DELETE FROM links WHERE list_url = ?1");
    del.Bind(1, list_url);
    if (!del.ok() || del.Step() != SQLITE_DONE) result = Error("clear links of " + list_url);
    Stmt ins(db_, "INSERT INTO links (list_url, position, url, text) VALUES (?1, ?2, ?3, ?4)");
    for (size_t i = 0; result.ok() && i < links.size(); ++i) {
      sqlite3_reset(ins.get());
      ins.Bind(1, list_url);
      ins.Bind(2, static_cast<int64_t>(i));
      ins.Bind(3, links[i].url);
      ins.Bind(4, links[i].text);
      if (!ins.ok() || ins.Step() != SQLITE_DONE) result = Error("write links of " + list_url);
    }
  }
  Status end = Exec(result.ok() ? "COMMIT" : "ROLLBACK");
  return result.ok() ? end : result;
}

Result<std::vector<Link>> StateStore::GetLinks(const std::string& list_url) {
  Stmt st(db_, "SELECT url, text FROM links WHERE list_url = ?1 ORDER BY position");
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
  Stmt ins(db_,
           "INSERT OR IGNORE INTO attachments (report_url, url, text, first_seen) "
           "VALUES (?1, ?2, ?3, ?4)");
  if (!ins.ok()) return Error("prepare");
  for (const auto& a : attachments) {
    sqlite3_reset(ins.get());
    ins.Bind(1, report_url);
    ins.Bind(2, a.url);
    ins.Bind(3, a.text);
    ins.Bind(4, static_cast<int64_t>(std::time(nullptr)));
    if (ins.Step() != SQLITE_DONE) return Error("write attachments of " + report_url);
  }
  return Status::Ok();
}

Result<std::vector<Link>> StateStore::GetAttachments(const std::string& report_url) {
  Stmt st(db_, "SELECT url, text FROM attachments WHERE report_url = ?1 ORDER BY url");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, report_url);
  std::vector<Link> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(Link{st.Text(0), st.Text(1)});
  if (rc != SQLITE_DONE) return Error("read attachments of " + report_url);
  return out;
}

Status StateStore::MarkDelivered(const std::string& url, const std::string& sha256) {
  Stmt st(db_, "UPDATE urls SET delivered_sha256 = ?2 WHERE url = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, url);
  st.Bind(2, sha256);
  if (st.Step() != SQLITE_DONE) return Error("mark delivered " + url);
  return Status::Ok();
}

Result<std::optional<int64_t>> StateStore::GetSourceDue(const std::string& source) {
  Stmt st(db_, "SELECT value FROM meta WHERE key = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, "due:" + source);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return Error("read due time of " + source);
  return std::optional<int64_t>(std::strtoll(st.Text(0).c_str(), nullptr, 10));
}

Status StateStore::PutSourceDue(const std::string& source, int64_t next_due) {
  Stmt st(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, "due:" + source);
  st.Bind(2, std::to_string(next_due));
  if (st.Step() != SQLITE_DONE) return Error("write due time of " + source);
  return Status::Ok();
}

Result<int64_t> StateStore::CountUrls(const std::string& kind) {
  Stmt st(db_, "SELECT COUNT(*) FROM urls WHERE kind = ?1");
  if (!st.ok()) return Error("prepare");
  st.Bind(1, kind);
  if (st.Step() != SQLITE_ROW) return Error("count");
  return st.Int(0);
}

}  // namespace nianbao::crawler
