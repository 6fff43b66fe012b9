using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Completion;

/// <summary>Answer one question with the configured system prompt.</summary>
public sealed record GetCompletion(string? Query) : IRequest<ChatCompletion>, Quotas.IMeteredRequest
{
    /// <summary>What the original service asked when no query was given.</summary>
    public const string DefaultQuery = "how are you?";

    /// <summary>The system prompt, then the query (or <see cref="DefaultQuery"/>).</summary>
    public IReadOnlyList<ChatMessage> Prompt(ChatOptions options) =>
        [ChatMessage.System(options.SystemPrompt), ChatMessage.User(string.IsNullOrEmpty(Query) ? DefaultQuery : Query)];
}

public sealed class GetCompletionHandler : IRequestHandler<GetCompletion, ChatCompletion>
{
    private readonly IChatCompletionService _chat;
    private readonly IOptions<ChatOptions> _options;

    public GetCompletionHandler(IChatCompletionService chat, IOptions<ChatOptions> options)
    {
        _chat = chat;
        _options = options;
    }

    public Task<ChatCompletion> Handle(GetCompletion request, CancellationToken cancellationToken) =>
        _chat.CompleteAsync(request.Prompt(_options.Value), cancellationToken);
}
