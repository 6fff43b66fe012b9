using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.UnitTests.Application.Common;

/// <summary>The one rule for "every circuit is open": 429 only when every circuit opened on throttling, else 503;
/// Retry-After until the earliest recovery, at least 1 s.</summary>
public sealed class UpstreamCoolDownTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static UpstreamStatus Open(string name, double seconds, UpstreamFailure because) =>
        new(name, "gpt-4o-mini", 1, 1, UpstreamCircuitState.Open, Now.AddSeconds(seconds), because);

    [Test]
    public void EveryCircuitThrottledAnswersThrottledFromTheEarliestRecovery()
    {
        var failure = UpstreamCoolDown.WhenEveryCircuitIsOpen([Open("a", 20, UpstreamFailure.Throttled), Open("b", 8, UpstreamFailure.Throttled)], Now);

        Assert.Multiple(() =>
        {
            Assert.That(failure?.Failure, Is.EqualTo(UpstreamFailure.Throttled));
            Assert.That(failure?.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(8)));
            Assert.That(failure?.Message, Does.Contain("retry after 8 s"));
        });
    }

    [Test]
    public void AMixOfReasonsAnswersUnavailable()
    {
        var failure = UpstreamCoolDown.WhenEveryCircuitIsOpen([Open("a", 40, UpstreamFailure.Throttled), Open("b", 300, UpstreamFailure.Authentication)], Now);

        Assert.Multiple(() =>
        {
            Assert.That(failure?.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(failure?.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(40)));
            Assert.That(failure?.Message, Does.Contain("authentication: 1").And.Contain("throttled: 1"));
        });
    }

    [Test]
    public void OneUpstreamThatTakesARequestMeansNoCoolDown()
    {
        UpstreamStatus closed = new("b", "gpt-4o-mini", 1, 1, UpstreamCircuitState.Closed, null, null);
        Assert.Multiple(() =>
        {
            Assert.That(UpstreamCoolDown.WhenEveryCircuitIsOpen([Open("a", 40, UpstreamFailure.Unavailable), closed], Now), Is.Null);
            Assert.That(UpstreamCoolDown.WhenEveryCircuitIsOpen([Open("a", 0, UpstreamFailure.Unavailable)], Now), Is.Null, "its time is up");
            Assert.That(UpstreamCoolDown.WhenEveryCircuitIsOpen([], Now), Is.Null);
        });
    }

    [Test]
    public void TheWaitIsAtLeastOneSecond()
    {
        UpstreamStatus trialInFlight = new("a", "gpt-4o-mini", 1, 1, UpstreamCircuitState.HalfOpen, null, UpstreamFailure.Unavailable);
        Assert.Multiple(() =>
        {
            Assert.That(UpstreamCoolDown.Failure([trialInFlight], Now).RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(UpstreamCoolDown.WhenEveryCircuitIsOpen([Open("a", 0.2, UpstreamFailure.Throttled)], Now)?.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(1)));
        });
    }
}
