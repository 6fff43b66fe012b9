using MediatR;
using Moq;
using Wrapper.Api.Health;
using Wrapper.Api.Simulation;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Health;

namespace Wrapper.UnitTests.Api.Health;

/// <summary>The one health-report query behind GET /health, the MCP <c>health</c> tool and /health/ready.</summary>
public sealed class HealthReportQueryTests
{
    private readonly Mock<IMediator> _mediator = new(MockBehavior.Strict);

    [TestCase(false, "connected")]
    [TestCase(true, "simulated")]
    public async Task ReportShouldNameTheModelServiceAndTheAgentServiceState(bool simulated, string expected)
    {
        _mediator.Setup(m => m.Send(It.IsAny<CheckModelService>(), It.IsAny<CancellationToken>())).ReturnsAsync(Unit.Value);
        _mediator.Setup(m => m.Send(It.IsAny<CheckAgentService>(), It.IsAny<CancellationToken>())).ReturnsAsync(AgentServiceStatus.AgentNotFound);

        var report = await new HealthReportQuery(_mediator.Object, new SimulatedSides(simulated, simulated)).GetAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(report.Status, Is.EqualTo("ok"));
            Assert.That(report.AzureOpenAi, Is.EqualTo(expected));
            Assert.That(report.AgentService, Is.EqualTo("agent_not_found"), "the Agent Service informs, it never fails the report");
        });
    }

    [Test]
    public void FailingModelServiceShouldBeTheAnswerWithoutAskingTheAgentService()
    {
        var failure = new UpstreamException(UpstreamFailure.Throttled, "Azure OpenAI is throttling (429).", TimeSpan.FromSeconds(3));
        _mediator.Setup(m => m.Send(It.IsAny<CheckModelService>(), It.IsAny<CancellationToken>())).ThrowsAsync(failure);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() => new HealthReportQuery(_mediator.Object, new SimulatedSides(false, false)).GetAsync(CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
        _mediator.Verify(m => m.Send(It.IsAny<CheckAgentService>(), It.IsAny<CancellationToken>()), Times.Never);
    }
}
