using Moq;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Health;

namespace Wrapper.FunctionalTests.HealthProbes;

/// <summary>GET /health derived from the circuit breakers: every circuit open answers without probing.</summary>
public sealed class CircuitHealthTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static UpstreamStatus Upstream(string name, UpstreamCircuitState state, int openSeconds = 0, UpstreamFailure? because = null) =>
        new(name, "gpt-4o-mini", 0, 1, state, state == UpstreamCircuitState.Open ? Now.AddSeconds(openSeconds) : null, because);

    private sealed class FixedTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Test]
    public void AllCircuitsOpenShouldAnswerFromTheEarliestRecoveryWithoutProbing()
    {
        var probe = new Mock<IUpstreamHealthProbe>(MockBehavior.Strict);
        var pool = new Mock<IUpstreamPoolState>();
        pool.Setup(p => p.Upstreams).Returns([
            Upstream("a", UpstreamCircuitState.Open, 40, UpstreamFailure.Unavailable),
            Upstream("b", UpstreamCircuitState.Open, 12, UpstreamFailure.Throttled),
        ]);

        var ex = Assert.ThrowsAsync<UpstreamException>(() =>
            new CheckModelServiceHandler(probe.Object, pool.Object, new FixedTime()).Handle(new CheckModelService(), CancellationToken.None))!;

        Assert.Multiple(() =>
        {
            // One rule with the pool's (UpstreamCoolDown): 429 only when every circuit opened on throttling.
            Assert.That(ex.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
            Assert.That(ex.RetryAfter, Is.EqualTo(TimeSpan.FromSeconds(12)));
        });
        probe.VerifyNoOtherCalls();
    }

    [Test]
    public async Task OneUsableCircuitShouldLetTheProbeAnswer()
    {
        var probe = new Mock<IUpstreamHealthProbe>();
        probe.Setup(p => p.ProbeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        var pool = new Mock<IUpstreamPoolState>();
        pool.Setup(p => p.Upstreams).Returns([
            Upstream("a", UpstreamCircuitState.Open, 40, UpstreamFailure.Unavailable),
            Upstream("b", UpstreamCircuitState.HalfOpen),
        ]);

        await new CheckModelServiceHandler(probe.Object, pool.Object, new FixedTime()).Handle(new CheckModelService(), CancellationToken.None);

        probe.Verify(p => p.ProbeAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public void AllCircuitsOpenBecauseOfFailuresShouldBeUnavailable()
    {
        var failure = UpstreamCoolDown.WhenEveryCircuitIsOpen([Upstream("a", UpstreamCircuitState.Open, 5, UpstreamFailure.Unavailable)], Now);

        Assert.That(failure?.Failure, Is.EqualTo(UpstreamFailure.Unavailable));
    }
}
