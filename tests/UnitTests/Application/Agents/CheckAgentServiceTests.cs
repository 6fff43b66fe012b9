using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.UnitTests.Application.Agents;

public sealed class CheckAgentServiceTests
{
    private Mock<IAgentGateway> _agents = null!;

    [SetUp]
    public void SetUp() => _agents = new Mock<IAgentGateway>();

    private Task<AgentServiceStatus> Check(CancellationToken cancellationToken = default) =>
        new CheckAgentServiceHandler(_agents.Object).Handle(new CheckAgentService(), cancellationToken);

    [Test]
    public async Task WithoutAnAgentService_IsNotConfigured_AndProbesNothing()
    {
        _agents.SetupGet(a => a.IsConfigured).Returns(false);

        Assert.That(await Check(), Is.EqualTo(AgentServiceStatus.NotConfigured));
        _agents.Verify(a => a.ProbeAsync(It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public async Task WhenTheProbeSucceeds_IsConnected()
    {
        _agents.SetupGet(a => a.IsConfigured).Returns(true);

        Assert.That(await Check(), Is.EqualTo(AgentServiceStatus.Connected));
        _agents.Verify(a => a.ProbeAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [TestCase(UpstreamFailure.Authentication, AgentServiceStatus.Unauthorized)]
    [TestCase(UpstreamFailure.NotFound, AgentServiceStatus.AgentNotFound)]
    [TestCase(UpstreamFailure.Throttled, AgentServiceStatus.Connected)]
    [TestCase(UpstreamFailure.Unavailable, AgentServiceStatus.Unreachable)]
    [TestCase(UpstreamFailure.Timeout, AgentServiceStatus.Unreachable)]
    [TestCase(UpstreamFailure.BadResponse, AgentServiceStatus.Unreachable)]
    public async Task WhenTheProbeFails_ReportsWhy(UpstreamFailure failure, AgentServiceStatus expected)
    {
        _agents.SetupGet(a => a.IsConfigured).Returns(true);
        _agents.Setup(a => a.ProbeAsync(It.IsAny<CancellationToken>())).ThrowsAsync(new UpstreamException(failure, "x"));

        Assert.That(await Check(), Is.EqualTo(expected));
    }

    [Test]
    public async Task WhenTheProbeIsCancelledButNotByTheCaller_ReportsUnreachable()
    {
        _agents.SetupGet(a => a.IsConfigured).Returns(true);
        _agents.Setup(a => a.ProbeAsync(It.IsAny<CancellationToken>()))
            .Returns<CancellationToken>(ct => Task.FromCanceled(new CancellationToken(canceled: true)));

        Assert.That(await Check(), Is.EqualTo(AgentServiceStatus.Unreachable));
    }

    [Test]
    public void WhenTheCallerCancels_Throws()
    {
        _agents.SetupGet(a => a.IsConfigured).Returns(true);
        _agents.Setup(a => a.ProbeAsync(It.IsAny<CancellationToken>())).Returns<CancellationToken>(ct => Task.FromCanceled(ct));
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        Assert.That(async () => await Check(cts.Token), Throws.InstanceOf<OperationCanceledException>());
    }

    [TestCase(AgentServiceStatus.NotConfigured, "not_configured")]
    [TestCase(AgentServiceStatus.Connected, "connected")]
    [TestCase(AgentServiceStatus.Unauthorized, "unauthorized")]
    [TestCase(AgentServiceStatus.AgentNotFound, "agent_not_found")]
    [TestCase(AgentServiceStatus.Unreachable, "unreachable")]
    public void WireNames_AreSnakeCase(AgentServiceStatus status, string expected)
    {
        Assert.That(status.ToWireName(), Is.EqualTo(expected));
    }
}
