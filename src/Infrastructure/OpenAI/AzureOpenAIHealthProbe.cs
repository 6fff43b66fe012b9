using Microsoft.Extensions.Options;
using OpenAI.Chat;
using Wrapper.Application.Common.Interfaces;
using ChatMessage = Wrapper.Domain.Chat.ChatMessage;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// Checks that the deployment answers with our credentials. Azure OpenAI's data plane has no free call that proves
/// both the credentials and the deployment, so this sends the smallest chat completion there is: a one-word prompt
/// capped at one output token (max_completion_tokens = 1), with the same deadline, retries and error mapping as every
/// other call.
/// </summary>
public sealed class AzureOpenAIHealthProbe : IUpstreamHealthProbe
{
    private const string ProbePrompt = "ping";

    private readonly AzureOpenAIChatCompletionService _chat;
    private readonly AzureOpenAIOptions _options;

    public AzureOpenAIHealthProbe(AzureOpenAIChatCompletionService chat, IOptions<AzureOpenAIOptions> options)
    {
        _chat = chat;
        _options = options.Value;
    }

    /// <inheritdoc />
    public async Task<UpstreamMode> ProbeAsync(CancellationToken cancellationToken)
    {
        await _chat.CompleteAsync([ChatMessage.User(ProbePrompt)], static () => new ChatCompletionOptions { MaxOutputTokenCount = 1 }, cancellationToken)
            .ConfigureAwait(false);
        return _options.Simulated ? UpstreamMode.Simulated : UpstreamMode.Azure;
    }
}
