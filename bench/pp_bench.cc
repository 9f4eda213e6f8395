// SPDX-License-Identifier: MIT
/*
 * pp_bench.cc - the Google Benchmark harness over the C benchmark bodies
 * (bench/bench.h; cf. DPDK app/test/test_ring_perf.c for what is measured).
 *
 * It registers every struct pp_bench_def that bench_<x>.c exports through
 * pp_bench_<x>_defs() for x in ring, pool, route, journey, timer; the declarations
 * are weak, so a family whose file does not exist adds nothing. For each
 * case:
 *   - setup(param) runs once, the first time Google Benchmark runs the case;
 *     the state lives on through its repetitions and is torn down when the
 *     next case starts (or at exit), so a helper thread spinning on the
 *     other core never overlaps another case;
 *   - run(state, 64) is called inside the timed loop (KeepRunningBatch(64):
 *     one "iteration" is one unit of run()'s work, and the loop's own cost is
 *     spread over 64 of them);
 *   - items_per_second comes from run()'s return values, and ns_per_item is
 *     its inverse in nanoseconds;
 *   - a case with a path component "crosscore" or "split", or an impl
 *     ending in "-remote", has another thread doing part of the work: it is
 *     timed by the wall clock (UseRealTime), the others by the timed
 *     thread's CPU time;
 *   - a body that finds a broken invariant calls pp__bench_fail(): the case
 *     is reported as an error and pp_bench exits 1.
 *
 * After the run it prints, for each pktpipe case that has peers with the
 * same family and the same rest of the name, one line comparing their
 * items_per_second (the median of the repetitions when there are several):
 *
 *   ratio ring/crosscore/burst:32 pktpipe/ck = 1.85 pktpipe/rte = 1.12
 *
 * Above 1 means pktpipe moves more items per second than the peer.
 */
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench.h"
#include "bench_util.h"

extern "C" {
__attribute__((weak)) const struct pp_bench_def *pp_bench_ring_defs(size_t *n);
__attribute__((weak)) const struct pp_bench_def *pp_bench_pool_defs(size_t *n);
__attribute__((weak)) const struct pp_bench_def *pp_bench_route_defs(size_t *n);
__attribute__((weak)) const struct pp_bench_def *pp_bench_journey_defs(size_t *n);
__attribute__((weak)) const struct pp_bench_def *pp_bench_timer_defs(size_t *n);
}

namespace {

constexpr benchmark::IterationCount kBatch = 64;

struct Case {
	const struct pp_bench_def *def;
	void *state = nullptr;
	bool setup_failed = false;
	bool wall = false;	// timed by the wall clock (UseRealTime)
};

uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

std::vector<std::unique_ptr<Case>> g_cases;
Case *g_live;	// the case whose state is set up now
std::vector<std::string> g_errors;

void record_error(const std::string &name, const char *msg)
{
	g_errors.push_back(name + ": " + msg);
}

void retire_live()
{
	Case *c = g_live;

	g_live = nullptr;
	if (!c || !c->state)
		return;
	c->def->teardown(c->state);
	c->state = nullptr;
	if (const char *msg = pp__bench_take_error())
		record_error(c->def->name, msg);
}

void run_case(benchmark::State &st, Case *c)
{
	if (g_live != c) {
		retire_live();
		if (c->setup_failed) {
			st.SkipWithError("setup failed");
			return;
		}
		c->state = c->def->setup(c->def->param);
		if (!c->state) {
			const char *msg = pp__bench_take_error();

			c->setup_failed = true;
			record_error(c->def->name, msg ? msg : "setup failed");
			st.SkipWithError(msg ? msg : "setup failed");
			return;
		}
		g_live = c;
	}

	// ns_per_item is timed here with the clock Google Benchmark uses for
	// the case (a plain counter, so that its repetitions aggregate; an
	// inverted rate counter would print as seconds).
	const clockid_t clk = c->wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID;
	uint64_t items = 0, t0 = now_ns(clk);
	const char *msg = nullptr;

	while (st.KeepRunningBatch(kBatch)) {
		items += c->def->run(c->state, (uint64_t)kBatch);
		if ((msg = pp__bench_take_error()))
			break;
	}
	const uint64_t t1 = now_ns(clk);

	if (msg) {
		record_error(c->def->name, msg);
		st.SkipWithError(msg);
		return;
	}
	st.SetItemsProcessed((int64_t)items);
	st.counters["ns_per_item"] = items ? (double)(t1 - t0) / (double)items : 0.0;
}

bool wall_clock(const std::string &name)
{
	size_t pos = 0;

	while (pos <= name.size()) {
		size_t end = name.find('/', pos);
		std::string part = name.substr(pos, end == std::string::npos ? std::string::npos
									      : end - pos);
		const std::string remote = "-remote";

		if (part == "crosscore" || part == "split" ||
		    (part.size() > remote.size() &&
		     part.compare(part.size() - remote.size(), remote.size(), remote) == 0))
			return true;
		if (end == std::string::npos)
			break;
		pos = end + 1;
	}
	return false;
}

void register_family(const struct pp_bench_def *(*defs_fn)(size_t *))
{
	size_t n = 0;
	const struct pp_bench_def *defs;

	if (!defs_fn)
		return;	// weak and absent: that family has no file yet
	defs = defs_fn(&n);
	for (size_t i = 0; i < n; i++) {
		g_cases.push_back(std::make_unique<Case>());
		Case *c = g_cases.back().get();

		c->def = &defs[i];
		c->wall = wall_clock(defs[i].name);
		auto *b = benchmark::RegisterBenchmark(defs[i].name, run_case, c);
		if (c->wall)
			b->UseRealTime();
	}
}

// Remembers items_per_second of every case, and hands everything on to the
// reporter the user asked for.
class CaptureReporter : public benchmark::BenchmarkReporter {
public:
	explicit CaptureReporter(benchmark::BenchmarkReporter *inner) : inner_(inner) {}

	bool ReportContext(const Context &ctx) override
	{
		return inner_->ReportContext(ctx);
	}

	void ReportRuns(const std::vector<Run> &runs) override
	{
		for (const Run &r : runs) {
			if (r.error_occurred)
				continue;
			auto it = r.counters.find("items_per_second");

			if (it == r.counters.end())
				continue;
			const std::string &name = r.run_name.function_name;

			if (!seen_.count(name)) {
				seen_[name] = Figures();
				order_.push_back(name);
			}
			Figures &f = seen_[name];
			auto ns = r.counters.find("ns_per_item");
			const double nsv = ns == r.counters.end() ? -1 : ns->second.value;

			if (r.run_type == Run::RT_Aggregate) {
				if (r.aggregate_name == "median") {
					f.median = it->second.value;
					f.median_ns = nsv;
				} else if (r.aggregate_name == "cv") {
					f.cv = it->second.value;
				}
			} else {
				f.runs.push_back(it->second.value);
				f.runs_ns.push_back(nsv);
			}
		}
		inner_->ReportRuns(runs);
	}

	void Finalize() override
	{
		inner_->Finalize();
	}

	// One line per case, for RESULTS.md: the median over the repetitions
	// (or the one run), and the spread of items_per_second when known.
	void print_summary(FILE *out) const
	{
		if (order_.empty())
			return;
		fprintf(out, "%-48s %10s %10s %6s\n", "summary (medians)", "Mitems/s", "ns/item",
			"cv%");
		for (const std::string &name : order_) {
			const Figures &f = seen_.at(name);
			char cv[16] = "-";

			if (f.cv >= 0)
				snprintf(cv, sizeof(cv), "%.1f", f.cv * 100);
			fprintf(out, "%-48s %10.2f %10.3f %6s\n", name.c_str(), value(name) / 1e6,
				value_ns(name), cv);
		}
	}

	void print_ratios(FILE *out) const
	{
		for (const std::string &name : order_) {
			std::string family, impl, rest;

			if (!split(name, &family, &impl, &rest) || impl != "pktpipe")
				continue;
			double mine = value(name);
			std::string line;

			for (const std::string &peer : order_) {
				std::string pf, pi, pr;

				if (peer == name || !split(peer, &pf, &pi, &pr) || pf != family ||
				    pr != rest)
					continue;
				double theirs = value(peer);
				char buf[128];

				if (mine <= 0 || theirs <= 0)
					continue;
				snprintf(buf, sizeof(buf), " pktpipe/%s = %.2f", pi.c_str(),
					 mine / theirs);
				line += buf;
			}
			if (!line.empty())
				fprintf(out, "ratio %s/%s%s\n", family.c_str(), rest.c_str(),
					line.c_str());
		}
	}

private:
	struct Figures {
		std::vector<double> runs, runs_ns;
		double median = -1, median_ns = -1, cv = -1;
	};

	static double median_of(std::vector<double> v)
	{
		if (v.empty())
			return -1;
		std::sort(v.begin(), v.end());
		size_t m = v.size() / 2;
		return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
	}

	static bool split(const std::string &name, std::string *family, std::string *impl,
			  std::string *rest)
	{
		size_t a = name.find('/');
		size_t b = a == std::string::npos ? a : name.find('/', a + 1);

		if (b == std::string::npos)
			return false;
		*family = name.substr(0, a);
		*impl = name.substr(a + 1, b - a - 1);
		*rest = name.substr(b + 1);
		return true;
	}

	double value(const std::string &name) const
	{
		const Figures &f = seen_.at(name);

		return f.median >= 0 ? f.median : median_of(f.runs);
	}

	double value_ns(const std::string &name) const
	{
		const Figures &f = seen_.at(name);

		return f.median >= 0 ? f.median_ns : median_of(f.runs_ns);
	}

	benchmark::BenchmarkReporter *inner_;
	std::map<std::string, Figures> seen_;
	std::vector<std::string> order_;
};

// The display reporter Google Benchmark would have made from the flags: it is
// not reachable from outside the library, so look at the two flags here.
bool g_json;	// --benchmark_format=json: keep stdout pure JSON

benchmark::BenchmarkReporter *make_display(int argc, char **argv)
{
	std::string format = "console";
	bool tabular = true;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--benchmark_format=", 19))
			format = argv[i] + 19;
		else if (!strcmp(argv[i], "--benchmark_counters_tabular=false"))
			tabular = false;
	}
	if (format == "json") {
		g_json = true;
		return new benchmark::JSONReporter();
	}
	int opts = benchmark::ConsoleReporter::OO_None;

	if (tabular)
		opts |= benchmark::ConsoleReporter::OO_Tabular;
	if (isatty(STDOUT_FILENO))
		opts |= benchmark::ConsoleReporter::OO_Color;
	return new benchmark::ConsoleReporter(
		static_cast<benchmark::ConsoleReporter::OutputOptions>(opts));
}

} // namespace

int main(int argc, char **argv)
{
	std::unique_ptr<benchmark::BenchmarkReporter> display(make_display(argc, argv));

	register_family(pp_bench_ring_defs);
	register_family(pp_bench_pool_defs);
	register_family(pp_bench_route_defs);
	register_family(pp_bench_journey_defs);
	register_family(pp_bench_timer_defs);

	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;

	CaptureReporter capture(display.get());

	benchmark::RunSpecifiedBenchmarks(&capture);
	retire_live();
	fflush(stdout);
	capture.print_summary(g_json ? stderr : stdout);
	capture.print_ratios(g_json ? stderr : stdout);
	for (const std::string &e : g_errors)
		fprintf(stderr, "ERROR %s\n", e.c_str());
	benchmark::Shutdown();
	return g_errors.empty() ? 0 : 1;
}
