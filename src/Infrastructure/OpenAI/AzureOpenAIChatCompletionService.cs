using Azure.AI.OpenAI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Domain.Chat;
using ChatCompletion = Wrapper.Domain.Chat.ChatCompletion;
using ChatMessage = Wrapper.Domain.Chat.ChatMessage;
using SdkChatMessage = OpenAI.Chat.ChatMessage;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// <see cref="IChatCompletionService"/> on Azure OpenAI through Azure.AI.OpenAI. Each call has one overall deadline
/// (<see cref="AzureOpenAIOptions.RequestTimeout"/>) that covers every silent retry; every failure leaves as an
/// <see cref="UpstreamException"/>, and caller cancellation as <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class AzureOpenAIChatCompletionService : IChatCompletionService
{
    private readonly ChatClient _chat;
    private readonly AzureOpenAIOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<AzureOpenAIChatCompletionService> _logger;

    public AzureOpenAIChatCompletionService(AzureOpenAIClient client, IOptions<AzureOpenAIOptions> options, TimeProvider time,
        ILogger<AzureOpenAIChatCompletionService> logger)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options.Value;
        _chat = client.GetChatClient(_options.Deployment);
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken) =>
        CompleteAsync(messages, completionOptions: null, cancellationToken);

    /// <summary>Completes with SDK options (e.g. a token limit for the health probe).</summary>
    internal async Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, ChatCompletionOptions? completionOptions,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        cancellationToken.ThrowIfCancellationRequested();
        var request = messages.Select(ToSdk).ToList();

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        try
        {
            var result = await _chat.CompleteChatAsync(request, completionOptions, deadline.Token).ConfigureAwait(false);
            return ToDomain(result.Value);
        }
        catch (UpstreamException ex)
        {
            Log(ex);
            throw;
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested)
        {
            // The caller gave up: whatever the SDK threw on the way out (a cancelled read may surface as an IOException)
            // is cancellation, not an upstream failure.
            throw ex as OperationCanceledException ?? new OperationCanceledException("The caller cancelled the request.", ex, cancellationToken);
        }
        catch (Exception ex)
        {
            var mapped = UpstreamErrorMapper.Map(ex, _options.Deployment, _options.RequestTimeout, _time.GetUtcNow());
            Log(mapped);
            throw mapped;
        }
    }

    private void Log(UpstreamException ex) =>
        _logger.LogWarning("Azure OpenAI deployment {Deployment} failed: {Failure} (upstream status {UpstreamStatus}, retry after {RetryAfter}, cause {Cause})",
            _options.Deployment, ex.Failure, ex.UpstreamStatus, ex.RetryAfter, ex.InnerException?.GetType().Name);

    private static SdkChatMessage ToSdk(ChatMessage message) => message.Role switch
    {
        ChatRole.System => new SystemChatMessage(message.Content),
        ChatRole.User => new UserChatMessage(message.Content),
        ChatRole.Assistant => new AssistantChatMessage(message.Content),
        _ => throw new ArgumentOutOfRangeException(nameof(message), message.Role, "Unknown chat role."),
    };

    private ChatCompletion ToDomain(global::OpenAI.Chat.ChatCompletion completion)
    {
        var content = string.Concat(completion.Content.Where(p => p.Kind == ChatMessageContentPartKind.Text).Select(p => p.Text));
        var finishReason = FinishReasonName(completion.FinishReason);
        if (completion.FinishReason == ChatFinishReason.ContentFilter && content.Length == 0)
        {
            throw new UpstreamException(UpstreamFailure.ContentFiltered,
                "Azure OpenAI's content filter blocked the answer (code: content_filter).", upstreamStatus: 200);
        }

        var usage = completion.Usage is { } u ? new TokenUsage(u.InputTokenCount, u.OutputTokenCount) : TokenUsage.None;
        var model = string.IsNullOrEmpty(completion.Model) ? _options.Deployment : completion.Model;
        return new ChatCompletion(content, model, finishReason, usage);
    }

    private static string FinishReasonName(ChatFinishReason reason) => reason switch
    {
        ChatFinishReason.Stop => "stop",
        ChatFinishReason.Length => "length",
        ChatFinishReason.ContentFilter => "content_filter",
        ChatFinishReason.ToolCalls => "tool_calls",
        ChatFinishReason.FunctionCall => "function_call",
        _ => reason.ToString().ToLowerInvariant(),
    };
}
