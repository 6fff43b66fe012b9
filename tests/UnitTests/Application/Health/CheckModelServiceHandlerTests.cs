using Moq;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Health;

namespace Wrapper.UnitTests.Application.Health;

public sealed class CheckModelServiceHandlerTests
{
    [Test]
    public async Task ReturnsWhenTheProbeSucceeds()
    {
        var probe = new Mock<IUpstreamHealthProbe>();
        probe.Setup(p => p.ProbeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);

        var result = await new CheckModelServiceHandler(probe.Object).Handle(new CheckModelService(), CancellationToken.None);

        Assert.That(result, Is.EqualTo(MediatR.Unit.Value));
    }

    [Test]
    public async Task PassesTheCallersCancellationTokenToTheProbe()
    {
        using var cts = new CancellationTokenSource();
        var probe = new Mock<IUpstreamHealthProbe>();
        probe.Setup(p => p.ProbeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);

        await new CheckModelServiceHandler(probe.Object).Handle(new CheckModelService(), cts.Token);

        probe.Verify(p => p.ProbeAsync(cts.Token), Times.Once);
    }

    [Test]
    public void ProbeFailures_PropagateUnchanged()
    {
        var failure = new UpstreamException(UpstreamFailure.Authentication, "The model service refused our credentials.", upstreamStatus: 401);
        var probe = new Mock<IUpstreamHealthProbe>();
        probe.Setup(p => p.ProbeAsync(It.IsAny<CancellationToken>())).ThrowsAsync(failure);

        var thrown = Assert.ThrowsAsync<UpstreamException>(() => new CheckModelServiceHandler(probe.Object).Handle(new CheckModelService(), CancellationToken.None));

        Assert.That(thrown, Is.SameAs(failure));
    }
}
