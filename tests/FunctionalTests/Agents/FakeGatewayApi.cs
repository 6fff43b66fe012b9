using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Moq;
using Wrapper.Application.Agents;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Agents;

namespace Wrapper.FunctionalTests.Agents;

/// <summary>
/// The API with a Moq <see cref="IAgentGateway"/> in place of the Agent Service adapters: three agents, <c>bing-grounding</c>
/// and <c>plain</c> on classic threads and <c>responses</c> on the new protocol (conversations), so that the API's own
/// behaviour (validation by protocol, conversation ids, the event stream's shape and its failures) is tested whatever the
/// adapters do. Authentication is off: every caller is the client <c>anonymous</c>, who owns <see cref="OwnConversation"/>
/// and <see cref="OwnThread"/>; <see cref="ForeignConversation"/> is bob's; any other id exists for nobody.
/// </summary>
public abstract class FakeGatewayApiTests
{
    public const string ResponsesAgent = "responses";
    public const string OwnConversation = "conv_mine";
    public const string ForeignConversation = "conv_bobs";
    public const string OwnThread = "thread_mine";

    private AgentApiFactory _base = null!;

    protected WebApplicationFactory<Program> Factory { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected Mock<IAgentGateway> Gateway { get; } = new();

    [OneTimeSetUp]
    public void StartApi()
    {
        _base = new AgentApiFactory();
        Factory = _base.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IAgentGateway>();
            services.AddSingleton(Gateway.Object);
        }));
        SetUpGateway();
        Client = Factory.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopApi()
    {
        Client.Dispose();
        await Factory.DisposeAsync();
        await _base.DisposeAsync();
    }

    /// <summary>Back to the three agents and the owners above, with no answer set up.</summary>
    [SetUp]
    public void SetUpGateway()
    {
        Gateway.Reset();
        Gateway.SetupGet(g => g.AgentNames).Returns(["bing-grounding", "plain", ResponsesAgent]);
        Gateway.SetupGet(g => g.IsConfigured).Returns(true);
        Gateway.Setup(g => g.ProtocolOf(It.IsAny<string>())).Returns((AgentProtocol?)null);
        Gateway.Setup(g => g.ProtocolOf(It.Is<string>(n => n == "bing-grounding" || n == "plain"))).Returns(AgentProtocol.Classic);
        Gateway.Setup(g => g.ProtocolOf(ResponsesAgent)).Returns(AgentProtocol.Responses);
        Gateway.Setup(g => g.ProbeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);
        Gateway.Setup(g => g.GetThreadOwnerAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((string?)null);
        Gateway.Setup(g => g.GetThreadOwnerAsync(OwnThread, It.IsAny<CancellationToken>())).ReturnsAsync(ThreadOwnership.OwnerOf("anonymous"));
        Gateway.Setup(g => g.GetConversationOwnerAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((string?)null);
        Gateway.Setup(g => g.GetConversationOwnerAsync(OwnConversation, It.IsAny<CancellationToken>())).ReturnsAsync(ThreadOwnership.OwnerOf("anonymous"));
        Gateway.Setup(g => g.GetConversationOwnerAsync(ForeignConversation, It.IsAny<CancellationToken>())).ReturnsAsync(ThreadOwnership.OwnerOf("bob"));
    }

    /// <summary>The agent answers <paramref name="answer"/> to every question, as a whole and as a stream of
    /// <paramref name="deltas"/> then the answer.</summary>
    protected void Answers(AgentAnswer answer, params string[] deltas)
    {
        Gateway.Setup(g => g.AskAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>())).ReturnsAsync(answer);
        Gateway.Setup(g => g.StreamAsync(It.IsAny<string>(), It.IsAny<AgentQuestion>(), It.IsAny<CancellationToken>()))
            .Returns(() => Stream(deltas.Select(d => (AgentStreamUpdate)new AgentTextDelta(d)).Append(new AgentAnswerCompleted(answer))));
    }

    /// <summary>The updates, one at a time with a yield between them, as an upstream would send them.</summary>
    protected static async IAsyncEnumerable<AgentStreamUpdate> Stream(IEnumerable<AgentStreamUpdate> updates, Exception? thenFail = null)
    {
        foreach (var update in updates)
        {
            await Task.Yield();
            yield return update;
        }

        if (thenFail is not null)
        {
            throw thenFail;
        }
    }

    /// <summary>The last question the gateway was asked or streamed, and the agent it was for.</summary>
    protected (string Agent, AgentQuestion Question) LastQuestion()
    {
        var call = Gateway.Invocations.Last(i => i.Method.Name is nameof(IAgentGateway.AskAsync) or nameof(IAgentGateway.StreamAsync));
        return ((string)call.Arguments[0]!, (AgentQuestion)call.Arguments[1]!);
    }
}
