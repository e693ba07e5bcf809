from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "posts"
    verbose_name = "设岗定责与本人申报"

    def ready(self):
        # posts plugs its pieces into the month screen through scoring's registry, so that
        # scoring never imports posts (the dependency runs one way only).
        from posts import hooks

        hooks.register()
