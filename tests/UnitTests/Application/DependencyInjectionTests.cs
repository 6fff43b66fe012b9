using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using Wrapper.Application;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Application.Completion;
using Wrapper.Application.Health;
using Wrapper.Domain.Chat;
using Wrapper.UnitTests.Application.TestDoubles;
using ValidationException = Wrapper.Application.Common.Exceptions.ValidationException;

namespace Wrapper.UnitTests.Application;

/// <summary>The MediatR pipeline as <see cref="DependencyInjection.AddApplication"/> wires it: real validators, behaviours
/// and handlers, with only the ports replaced.</summary>
public sealed class DependencyInjectionTests
{
    private static readonly ChatCompletion Answer = new("Fine, thanks.", "gpt-4o", "stop", new TokenUsage(12, 3));

    private Mock<IChatCompletionService> _chat = null!;
    private Mock<IUpstreamHealthProbe> _probe = null!;
    private IReadOnlyList<ChatMessage>? _sent;

    [SetUp]
    public void SetUp()
    {
        _sent = null;
        _chat = new Mock<IChatCompletionService>();
        _chat.Setup(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<ChatMessage>, CancellationToken>((m, _) => _sent = m)
            .ReturnsAsync(Answer);
        _probe = new Mock<IUpstreamHealthProbe>();
    }

    private ServiceProvider BuildProvider(Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddApplication();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddSingleton(_chat.Object);
        services.AddSingleton(_probe.Object);
        // The quota behaviour's ports (quotas are off unless a test configures them).
        services.AddSingleton(Mock.Of<IClientQuota>());
        services.AddSingleton(Mock.Of<IPromptTokenCounter>());
        services.AddSingleton(Mock.Of<ICurrentClient>());
        configure?.Invoke(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
    }

    private async Task<TResponse> SendAsync<TResponse>(IRequest<TResponse> request, Action<IServiceCollection>? configure = null)
    {
        await using var provider = BuildProvider(configure);
        await using var scope = provider.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        return await mediator.Send(request, CancellationToken.None);
    }

    private void VerifyPortNeverCalled() =>
        _chat.Verify(c => c.CompleteAsync(It.IsAny<IReadOnlyList<ChatMessage>>(), It.IsAny<CancellationToken>()), Times.Never);

    [Test]
    public async Task GetCompletion_RunsTheHandler_WithTheDefaultSystemPromptAndTheQuery()
    {
        var result = await SendAsync(new GetCompletion("How are you today?"));

        Assert.That(result, Is.EqualTo(Answer));
        Assert.That(_sent, Is.EqualTo(new[] { ChatMessage.System(new ChatOptions().SystemPrompt), ChatMessage.User("How are you today?") }));
    }

    [Test]
    public void GetCompletion_WithABlankQuery_FailsValidation_AndNeverCallsThePort()
    {
        var ex = Assert.ThrowsAsync<ValidationException>(() => SendAsync(new GetCompletion("   ")));

        Assert.That(ex!.Errors.Keys, Is.EqualTo(new[] { "query" }));
        VerifyPortNeverCalled();
    }

    [Test]
    public async Task CompleteChat_RunsTheHandler_PrependingTheConfiguredSystemPrompt()
    {
        var result = await SendAsync(
            new CompleteChat([new ChatMessageInput("user", "Hi"), new ChatMessageInput("assistant", "Hello"), new ChatMessageInput("user", "Bye")]),
            s => s.Configure<ChatOptions>(o => o.SystemPrompt = "Be polite."));

        Assert.That(result, Is.EqualTo(Answer));
        Assert.That(_sent, Is.EqualTo(new[]
        {
            ChatMessage.System("Be polite."), ChatMessage.User("Hi"), ChatMessage.Assistant("Hello"), ChatMessage.User("Bye"),
        }));
    }

    [Test]
    public void CompleteChat_WithABadRole_FailsValidationWithTheFieldPath_AndNeverCallsThePort()
    {
        var ex = Assert.ThrowsAsync<ValidationException>(() => SendAsync(new CompleteChat([new ChatMessageInput("tool", "Hi")])));

        Assert.That(ex!.Errors.Keys, Is.EqualTo(new[] { "messages[0].role" }));
        VerifyPortNeverCalled();
    }

    [Test]
    public void CompleteChat_WithoutMessages_FailsValidation_AndNeverCallsThePort()
    {
        var ex = Assert.ThrowsAsync<ValidationException>(() => SendAsync(new CompleteChat(null)));

        Assert.That(ex!.Errors.Keys, Is.EqualTo(new[] { "messages" }));
        VerifyPortNeverCalled();
    }

    [Test]
    public void ConfiguredLimits_ReachTheValidators()
    {
        var ex = Assert.ThrowsAsync<ValidationException>(() => SendAsync(
            new CompleteChat([new ChatMessageInput("user", "123456")]),
            s => s.Configure<ChatOptions>(o => o.MaxMessageLength = 5)));

        Assert.That(ex!.Errors["messages[0].content"], Is.EqualTo(new[] { "'content' must be at most 5 characters." }));
        VerifyPortNeverCalled();
    }

    [Test]
    public async Task CheckHealth_RunsTheHandler_WhichAsksTheProbe()
    {
        _probe.Setup(p => p.ProbeAsync(It.IsAny<CancellationToken>())).Returns(Task.CompletedTask);

        await SendAsync(new CheckModelService());

        _probe.Verify(p => p.ProbeAsync(It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public void LoggingWrapsValidation_SoRejectedRequestsAreLoggedByField()
    {
        var recorder = new LogRecorder();

        Assert.ThrowsAsync<ValidationException>(() => SendAsync(
            new CompleteChat([new ChatMessageInput("robot", "secret text")]),
            s =>
            {
                s.AddSingleton(recorder);
                s.AddSingleton(typeof(ILogger<>), typeof(RecordingLogger<>));
            }));

        var entry = recorder.Entries.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(entry.Values["Request"], Is.EqualTo(nameof(CompleteChat)));
            Assert.That(entry.Values["Fields"], Is.EqualTo("messages[0].role"));
            Assert.That(entry.Message, Does.Not.Contain("secret text"));
        }
    }

    [Test]
    public async Task ValidOptions_PassStartupValidation()
    {
        await using var provider = BuildProvider();

        Assert.DoesNotThrow(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Test]
    public async Task InvalidOptions_FailStartupValidation()
    {
        await using var provider = BuildProvider(s => s.Configure<ChatOptions>(o =>
        {
            o.SystemPrompt = " ";
            o.MaxMessages = 0;
        }));

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(ex!.Message, Does.Contain(nameof(ChatOptions.SystemPrompt)).And.Contain(nameof(ChatOptions.MaxMessages)));
    }
}
