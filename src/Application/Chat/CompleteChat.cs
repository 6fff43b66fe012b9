using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

/// <summary>One message as a caller sent it. Roles arrive as text so that a wrong role is a validation error
/// naming the field, not a deserialisation failure.</summary>
public sealed record ChatMessageInput(string? Role, string? Content);

/// <summary>Continue a conversation.</summary>
public sealed record CompleteChat(IReadOnlyList<ChatMessageInput>? Messages) : IRequest<ChatCompletion>;

public sealed class CompleteChatHandler : IRequestHandler<CompleteChat, ChatCompletion>
{
    private readonly IChatCompletionService _chat;
    private readonly IOptions<ChatOptions> _options;

    public CompleteChatHandler(IChatCompletionService chat, IOptions<ChatOptions> options)
    {
        _chat = chat;
        _options = options;
    }

    public Task<ChatCompletion> Handle(CompleteChat request, CancellationToken cancellationToken)
    {
        var input = request.Messages ?? [];
        var messages = new List<ChatMessage>(input.Count + 1);
        foreach (var m in input)
        {
            // The validator has accepted the role already; parsing cannot fail here.
            messages.Add(new ChatMessage(ChatRoles.Parse(m.Role!), m.Content!));
        }

        if (!messages.Exists(m => m.Role == ChatRole.System))
        {
            messages.Insert(0, ChatMessage.System(_options.Value.SystemPrompt));
        }

        return _chat.CompleteAsync(messages, cancellationToken);
    }
}
