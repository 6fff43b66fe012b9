using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Infrastructure.Configuration;

/// <summary>Takes the system prompt from OPENAI_PROMPT, the original service's variable, when it is set and not blank.
/// Runs after the <c>Chat</c> section is bound, so OPENAI_PROMPT wins over <c>Chat:SystemPrompt</c>.</summary>
public sealed class ChatOptionsSetup : IConfigureOptions<ChatOptions>
{
    private readonly IConfiguration _configuration;

    public ChatOptionsSetup(IConfiguration configuration) => _configuration = configuration;

    public void Configure(ChatOptions options)
    {
        var prompt = _configuration[ConfigurationKeys.OpenAIPrompt];
        if (!string.IsNullOrWhiteSpace(prompt))
        {
            options.SystemPrompt = prompt;
        }
    }
}
