using Wrapper.Simulator.Agents;

namespace Wrapper.IntegrationTests.SimulatorAgents;

/// <summary>Run progression, driven by a hand-moved clock (no waiting, fully deterministic).</summary>
public sealed class AgentStoreTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(2);

    private ManualClock _clock = null!;
    private AgentStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _clock = new ManualClock(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        _store = new AgentStore(new AgentSimulatorOptions { RunStepDelayMs = (int)Step.TotalMilliseconds, SlowRunMs = 60_000 }, _clock);
    }

    [Test]
    public void Run_GoesQueuedThenInProgressThenCompleted_AndAddsTheAnswer()
    {
        var thread = _store.CreateThread([new NewMessage("user", "What is new in .NET?")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_bing"));
        Assert.That(run.Status, Is.EqualTo("queued"));

        _clock.Advance(Step - TimeSpan.FromMilliseconds(1));
        Assert.That(_store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("queued"));

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var started = _store.GetRun(thread.Id, run.Id);
        Assert.That(started.Status, Is.EqualTo("in_progress"));
        Assert.That(_store.ListMessages(thread.Id, new PageRequest(), null).Data, Has.Count.EqualTo(1), "no answer yet");

        _clock.Advance(Step);
        var done = _store.GetRun(thread.Id, run.Id);
        var messages = _store.ListMessages(thread.Id, new PageRequest("asc"), null).Data;

        Assert.Multiple(() =>
        {
            Assert.That(done.Status, Is.EqualTo("completed"));
            Assert.That(done.StartedAt, Is.EqualTo(run.CreatedAt + 2));
            Assert.That(done.CompletedAt, Is.EqualTo(run.CreatedAt + 4));
            Assert.That(done.ExpiresAt, Is.Null);
            Assert.That(done.Usage!.CompletionTokens, Is.GreaterThan(0));
            Assert.That(done.Usage.TotalTokens, Is.EqualTo(done.Usage.PromptTokens + done.Usage.CompletionTokens));
            Assert.That(messages, Has.Count.EqualTo(2));
            Assert.That(messages[1].Role, Is.EqualTo("assistant"));
            Assert.That(messages[1].RunId, Is.EqualTo(run.Id));
            Assert.That(messages[1].AssistantId, Is.EqualTo("asst_bing"));
            Assert.That(messages[1].Content[0].Text.Annotations, Is.Not.Empty);
        });
    }

    [Test]
    public void Run_WithZeroDelay_IsCompletedAtTheFirstRead()
    {
        var store = new AgentStore(new AgentSimulatorOptions { RunStepDelayMs = 0 }, _clock);
        var thread = store.CreateThread([new NewMessage("user", "Hello")], null);

        var run = store.CreateRun(thread.Id, new NewRun("asst_plain"));

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo("queued"), "a new run is always queued");
            Assert.That(store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("completed"));
        });
    }

    [Test]
    public void Cancel_MakesTheRunCancellingThenCancelled_AndIsCounted()
    {
        var thread = _store.CreateThread([new NewMessage("user", "[simulate:slow] long question")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_bing"));
        _clock.Advance(Step);

        var cancelling = _store.CancelRun(thread.Id, run.Id);
        Assert.That(cancelling.Status, Is.EqualTo("cancelling"));
        Assert.That(_store.GetCounters().CancelRequests, Is.EqualTo(1));
        Assert.That(_store.GetCounters().RunsCancelled, Is.Zero);

        _clock.Advance(Step);
        var cancelled = _store.GetRun(thread.Id, run.Id);

        Assert.Multiple(() =>
        {
            Assert.That(cancelled.Status, Is.EqualTo("cancelled"));
            Assert.That(cancelled.CancelledAt, Is.EqualTo(run.CreatedAt + 4));
            Assert.That(cancelled.CompletedAt, Is.Null);
            Assert.That(_store.FindRun(run.Id)!.CancelRequested, Is.True);
            Assert.That(_store.GetCounters().RunsCancelled, Is.EqualTo(1));
            Assert.That(_store.ListMessages(thread.Id, new PageRequest(), null).Data, Has.Count.EqualTo(1), "a cancelled run answers nothing");
        });
    }

    [Test]
    public void Cancel_OfAFinishedRun_IsRefused()
    {
        var thread = _store.CreateThread([new NewMessage("user", "Hi")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_plain"));
        _clock.Advance(Step * 2);

        var refusal = Assert.Throws<AgentApiException>(() => _store.CancelRun(thread.Id, run.Id));

        Assert.That(refusal!.StatusCode, Is.EqualTo(400));
        Assert.That(refusal.Message, Does.Contain("completed"));
    }

    [Test]
    public void ActiveRun_BlocksNewMessagesAndRuns_UntilItEnds()
    {
        var thread = _store.CreateThread([new NewMessage("user", "Hi")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_plain"));

        var message = Assert.Throws<AgentApiException>(() => _store.AddMessage(thread.Id, new NewMessage("user", "more")));
        var second = Assert.Throws<AgentApiException>(() => _store.CreateRun(thread.Id, new NewRun("asst_plain")));
        Assert.Multiple(() =>
        {
            Assert.That(message!.Message, Does.Contain(run.Id));
            Assert.That(second!.Message, Does.Contain("already has an active run"));
        });

        _clock.Advance(Step * 2);
        Assert.That(_store.AddMessage(thread.Id, new NewMessage("user", "more")).Role, Is.EqualTo("user"));
    }

    [TestCase("[simulate:fail] q", "failed", "server_error")]
    [TestCase("q [SIMULATE:RATE_LIMIT]", "failed", "rate_limit_exceeded")]
    [TestCase("[simulate:expire] q", "expired", null)]
    public void SimulateSwitch_EndsTheRunWithoutAnAnswer(string prompt, string status, string? errorCode)
    {
        var thread = _store.CreateThread([new NewMessage("user", prompt)], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_bing"));
        _clock.Advance(Step * 2);

        var ended = _store.GetRun(thread.Id, run.Id);

        Assert.Multiple(() =>
        {
            Assert.That(ended.Status, Is.EqualTo(status));
            Assert.That(ended.LastError?.Code, Is.EqualTo(errorCode));
            Assert.That(ended.FailedAt, errorCode is null ? Is.Null : Is.EqualTo(run.CreatedAt + 4));
            Assert.That(ended.ExpiresAt, status == "expired" ? Is.EqualTo(run.CreatedAt + 4) : Is.Null);
            Assert.That(ended.Usage, Is.Null);
            Assert.That(_store.ListMessages(thread.Id, new PageRequest(), null).Data.Select(m => m.Role), Is.EqualTo(new[] { "user" }));
        });
    }

    [Test]
    public void SimulateEmpty_CompletesWithoutAnAssistantMessage()
    {
        var thread = _store.CreateThread([new NewMessage("user", "[simulate:empty] q")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_bing"));
        _clock.Advance(Step * 2);

        Assert.Multiple(() =>
        {
            Assert.That(_store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("completed"));
            Assert.That(_store.ListMessages(thread.Id, new PageRequest(), run.Id).Data, Is.Empty);
        });
    }

    [Test]
    public void SimulateSlow_StaysInProgressForTheSlowTime_ThenCompletes()
    {
        var thread = _store.CreateThread([new NewMessage("user", "[simulate:slow] q")], null);
        var run = _store.CreateRun(thread.Id, new NewRun("asst_bing"));

        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.That(_store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("in_progress"));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(_store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("completed"));
    }

    [Test]
    public void AdditionalMessages_AreAddedBeforeTheRunReadsTheQuestion()
    {
        var thread = _store.CreateThread([], null);

        var run = _store.CreateRun(thread.Id, new NewRun("asst_plain", AdditionalMessages: [new NewMessage("user", "[simulate:fail] x")]));
        _clock.Advance(Step * 2);

        Assert.That(_store.GetRun(thread.Id, run.Id).Status, Is.EqualTo("failed"));
    }

    [Test]
    public void DeletedThread_IsGoneButRemembered()
    {
        var thread = _store.CreateThread([], new Dictionary<string, string> { ["k"] = "v" });

        var deleted = _store.DeleteThread(thread.Id);

        Assert.Multiple(() =>
        {
            Assert.That(deleted, Is.EqualTo(new DeletionStatus(thread.Id, "thread.deleted", true)));
            Assert.That(Assert.Throws<AgentApiException>(() => _store.GetThread(thread.Id))!.StatusCode, Is.EqualTo(404));
            Assert.That(Assert.Throws<AgentApiException>(() => _store.DeleteThread(thread.Id))!.StatusCode, Is.EqualTo(404));
            Assert.That(_store.FindThread(thread.Id)!.Deleted, Is.True);
            Assert.That(_store.GetCounters(), Is.EqualTo(new AgentStoreCounters(1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
        });
    }

    [Test]
    public void ConfiguredAgents_ReplaceTheDefaults()
    {
        var store = new AgentStore(
            new AgentSimulatorOptions { Agents = [new SimulatedAgent { Id = "asst_custom", Name = "custom", Kind = SimulatedAgentKind.BingGrounding }] },
            _clock);

        Assert.Multiple(() =>
        {
            Assert.That(store.GetAssistant("asst_custom").Tools[0]!["type"]!.GetValue<string>(), Is.EqualTo("bing_grounding"));
            Assert.That(Assert.Throws<AgentApiException>(() => store.GetAssistant("asst_bing"))!.Code, Is.EqualTo("not_found"));
        });
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
