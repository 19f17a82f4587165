// A PageTracker for the crawler's tests: keeps every page it is handed and every end, and
// holds at most `capacity` slots, which the test frees (as the status updater would) with
// Release(). Loop thread only, like the real one.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/page.h"

namespace nianbao::testing {

class RecordingTracker final : public PageTracker {
 public:
  explicit RecordingTracker(size_t capacity = 1u << 20) : capacity_(capacity) {}

  JourneyId Planned(const std::string& source, const std::string& url) override {
    JourneyId id = ++next_;
    open[id] = source + " " + url;
    return id;
  }
  bool TryStart(JourneyId id) override {
    if (started.count(id) != 0) return true;
    if (slots_ >= capacity_) return false;
    ++slots_;
    started[id] = true;
    return true;
  }
  void Fetched(JourneyId id, FetchedPage page) override {
    pages.push_back(std::move(page));
    held.push_back(id);
    open.erase(id);
  }
  void Gone(JourneyId id, GonePage page) override {
    gone.push_back(std::move(page));
    open.erase(id);
    if (started.erase(id) != 0) FreeSlot();
  }
  void Ended(JourneyId id, PageStatus status, std::string reason) override {
    ends.push_back({id, status, reason});
    open.erase(id);
    if (started.erase(id) != 0) FreeSlot();
  }
  void SetOnRoom(std::function<void()> f) override { on_room_ = std::move(f); }

  // Frees the slots of the pages handed on so far (the consumer took them).
  void Release() {
    for (JourneyId id : held) {
      if (started.erase(id) != 0) FreeSlot();
    }
    held.clear();
  }

  struct End {
    JourneyId id;
    PageStatus status;
    std::string reason;
  };
  std::vector<FetchedPage> pages;
  std::vector<End> ends;
  std::vector<GonePage> gone;
  std::map<JourneyId, std::string> open;  // planned, neither fetched nor ended
  std::map<JourneyId, bool> started;      // holding a slot
  std::vector<JourneyId> held;            // fetched, slot not yet released

 private:
  void FreeSlot() {
    --slots_;
    if (on_room_) on_room_();
  }
  size_t capacity_;
  size_t slots_ = 0;
  JourneyId next_ = 0;
  std::function<void()> on_room_;
};

}  // namespace nianbao::testing
