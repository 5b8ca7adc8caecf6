// Scripting's shared state: the script cache, function libraries and per-worker VMs.
#include "commands/script_runner.h"

namespace kora {

Scripting::Scripting(int workers) : vms_(workers), undo_(workers) {
  for (int i = 0; i < workers; ++i) {
    slots_.push_back(std::make_unique<RunSlot>());
    runners_.emplace_back();
  }
}

Scripting& GetScripting(Service& svc) { return *static_cast<Scripting*>(svc.scripting.get()); }

bool Scripting::FindScript(const std::string& sha, Script* out) {
  std::lock_guard<std::mutex> lk(mu_);
  auto it = scripts_.find(sha);
  if (it == scripts_.end()) return false;
  *out = it->second;
  return true;
}

void Scripting::AddScript(const std::string& sha, const Script& s) {
  std::lock_guard<std::mutex> lk(mu_);
  scripts_.emplace(sha, s);
}

bool Scripting::HasScript(const std::string& sha) {
  std::lock_guard<std::mutex> lk(mu_);
  return scripts_.contains(sha);
}

void Scripting::FlushScripts() {
  std::lock_guard<std::mutex> lk(mu_);
  scripts_.clear();
  undeclared_.clear();
  eval_epoch_.fetch_add(1);
}

bool Scripting::IsUndeclared(const std::string& sha) {
  std::lock_guard<std::mutex> lk(mu_);
  return undeclared_.contains(sha);
}

void Scripting::MarkUndeclared(const std::string& sha) {
  std::lock_guard<std::mutex> lk(mu_);
  undeclared_[sha] = true;
}

lua::Vm& Scripting::EvalVm(int worker) {
  WorkerVms& v = vms_[worker];
  uint64_t epoch = eval_epoch_.load();
  if (!v.eval || (v.eval_epoch != epoch && v.running == 0)) {
    v.eval = std::make_unique<lua::Vm>(lua::Vm::Kind::kEval);
    v.eval_epoch = epoch;
  }
  return *v.eval;
}

lua::Vm& Scripting::FunctionVm(int worker) {
  WorkerVms& v = vms_[worker];
  uint64_t epoch = fn_epoch_.load();
  if (!v.fn || (v.fn_epoch != epoch && v.running == 0)) {
    v.fn = std::make_unique<lua::Vm>(lua::Vm::Kind::kFunction);
    v.fn_epoch = epoch;
    v.fn_refs.clear();
    std::lock_guard<std::mutex> lk(fn_mu_);
    for (const auto& [name, lib] : libraries_) {
      std::vector<lua::FunctionDef> defs;
      std::string err;
      if (!v.fn->LoadLibrary(BlankFirstLine(lib.code), &defs, &err)) continue;  // loaded before
      for (const auto& d : defs) v.fn_refs[d.name] = d.ref;
    }
  }
  return *v.fn;
}

int Scripting::FunctionRef(int worker, const std::string& name) {
  FunctionVm(worker);
  auto it = vms_[worker].fn_refs.find(name);
  return it == vms_[worker].fn_refs.end() ? 0 : it->second;
}

void Scripting::NoteVmMemory(int worker) {
  WorkerVms& v = vms_[worker];
  v.eval_bytes.store(v.eval ? v.eval->MemoryBytes() : 0, std::memory_order_relaxed);
  v.fn_bytes.store(v.fn ? v.fn->MemoryBytes() : 0, std::memory_order_relaxed);
}

Scripting::Stats Scripting::GetStats() {
  Stats s;
  {
    std::lock_guard<std::mutex> lk(mu_);
    s.cached_scripts = scripts_.size();
    // Each entry: its key (the 40-character sha), the body, and the table slot.
    for (const auto& [sha, script] : scripts_) {
      s.scripts_bytes += sha.size() + script.body.size() + sizeof(std::string) + sizeof(Script);
    }
  }
  {
    std::lock_guard<std::mutex> lk(fn_mu_);
    s.libraries = libraries_.size();
    s.functions = functions_.size();
    for (const auto& [name, lib] : libraries_) {
      s.functions_bytes += name.size() + lib.code.size() + sizeof(LibraryInfo);
      for (const auto& f : lib.functions) {
        s.functions_bytes += sizeof(FunctionInfo) + f.name.size() + f.description.size();
      }
    }
  }
  for (const auto& v : vms_) {
    s.vm_eval_bytes += static_cast<uint64_t>(v.eval_bytes.load(std::memory_order_relaxed));
    s.vm_functions_bytes += static_cast<uint64_t>(v.fn_bytes.load(std::memory_order_relaxed));
  }
  return s;
}

}  // namespace kora
