using Microsoft.Extensions.Time.Testing;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.Health;

namespace Wrapper.IntegrationTests.OpenAI;

/// <summary>When the deployment check spends its minimal completion, and when what is known answers instead.</summary>
[TestFixture]
public sealed class DeploymentCheckTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(15);

    private FakeTimeProvider _time = null!;
    private int _sent;

    [SetUp]
    public void Reset()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _sent = 0;
    }

    private Func<Task<(DeploymentCheckOutcome, UpstreamException?)>> Answer(DeploymentCheckOutcome outcome) => () =>
    {
        _sent++;
        return Task.FromResult<(DeploymentCheckOutcome, UpstreamException?)>(
            (outcome, outcome == DeploymentCheckOutcome.Missing ? new UpstreamException(UpstreamFailure.NotFound, "missing", upstreamStatus: 404) : null));
    };

    [Test]
    public async Task AnExistingDeploymentIsCheckedOncePerInterval()
    {
        var check = new DeploymentCheck(_time);

        await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));
        _time.Advance(Interval - TimeSpan.FromSeconds(1));
        await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));
        var before = _sent;
        _time.Advance(TimeSpan.FromSeconds(1));
        await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(1));
            Assert.That(_sent, Is.EqualTo(2), "checked again once the interval passed");
        });
    }

    [Test]
    public async Task ChatAnswersMakeTheCheckUnnecessary()
    {
        var check = new DeploymentCheck(_time);

        for (var i = 0; i < 10; i++)
        {
            check.Confirm();
            Assert.That(await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists)), Is.Null);
            _time.Advance(TimeSpan.FromMinutes(10));
        }

        Assert.That(_sent, Is.Zero);
    }

    [Test]
    public async Task AMissingDeploymentIsReportedAndCheckedAgainAfterAMinute()
    {
        var check = new DeploymentCheck(_time);

        var first = await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Missing));
        _time.Advance(TimeSpan.FromSeconds(59));
        var cached = await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Missing));
        _time.Advance(TimeSpan.FromSeconds(1));
        var recreated = await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));

        Assert.Multiple(() =>
        {
            Assert.That(first?.Failure, Is.EqualTo(UpstreamFailure.NotFound));
            Assert.That(cached?.Failure, Is.EqualTo(UpstreamFailure.NotFound));
            Assert.That(recreated, Is.Null, "a deployment created meanwhile is seen within a minute (a 404 costs no token)");
            Assert.That(_sent, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task AChatsNotFoundIsReportedWithoutACheck()
    {
        var check = new DeploymentCheck(_time);
        check.Confirm();

        check.ReportMissing(new UpstreamException(UpstreamFailure.NotFound, "gone", upstreamStatus: 404));
        var failure = await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));
        var disabled = await check.CheckAsync(TimeSpan.Zero, Answer(DeploymentCheckOutcome.Exists));

        Assert.Multiple(() =>
        {
            Assert.That(failure?.Message, Is.EqualTo("gone"));
            Assert.That(disabled?.Message, Is.EqualTo("gone"), "known without spending, even with the check disabled");
            Assert.That(_sent, Is.Zero);
        });
    }

    [Test]
    public async Task AnInconclusiveCheckIsRetriedAfterAMinuteNotAtEveryProbe()
    {
        var check = new DeploymentCheck(_time);

        var first = await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Inconclusive));
        await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Inconclusive));
        _time.Advance(TimeSpan.FromMinutes(1));
        await check.CheckAsync(Interval, Answer(DeploymentCheckOutcome.Exists));

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.Null, "nothing learnt: the token-free step decides");
            Assert.That(_sent, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task ConcurrentCallersShareOneCheck()
    {
        var check = new DeploymentCheck(_time);
        var gate = new TaskCompletionSource<(DeploymentCheckOutcome, UpstreamException?)>(TaskCreationOptions.RunContinuationsAsynchronously);

        var callers = Enumerable.Range(0, 5).Select(_ => check.CheckAsync(Interval, () =>
        {
            Interlocked.Increment(ref _sent);
            return gate.Task;
        })).ToList();
        gate.SetResult((DeploymentCheckOutcome.Exists, null));
        await Task.WhenAll(callers);

        Assert.That(_sent, Is.EqualTo(1));
    }
}
